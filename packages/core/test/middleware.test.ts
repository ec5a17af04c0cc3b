import { createHmac } from 'node:crypto'
import {
  bearerAuth,
  ConfigError,
  HttpStatusError,
  type Middleware,
  type MooringRequest,
  RequestRejectedError,
} from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { client, upstream } from './support/fixtures.js'

type Echo = { method: string; url: string; headers: Record<string, string | undefined>; body: string }

/** Answers with what it received, body included. */
async function echoUpstream() {
  return upstream(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }))
  })
}

const SECRET = 'test-signing-key'
const sign = (method: string, pathAndQuery: string, body: string): string =>
  createHmac('sha256', SECRET).update(`${method}\n${pathAndQuery}\n${body}`).digest('hex')

describe('middleware', () => {
  it('signs a request: reads method, URL and body, adds a header the upstream verifies', async () => {
    const up = await upstream(async (req, res) => {
      let body = ''
      for await (const chunk of req) body += chunk
      const ok = req.headers['x-signature'] === sign(req.method!, req.url!, body)
      res.statusCode = ok ? 200 : 403
      res.end(ok ? 'signed' : 'bad signature')
    })
    const signing: Middleware = (request, next) => {
      const url = new URL(request.url)
      request.headers['x-signature'] = sign(
        request.method,
        url.pathname + url.search,
        String(request.body ?? ''),
      )
      return next(request)
    }
    const http = client({
      baseUrl: `${up.url}/api`,
      middleware: [signing],
      query: { v: '2' },
      headers: { 'x-default': 'd' },
    })
    const res = await http.post('/orders', { json: { id: 7 }, query: { dry: true } })
    expect(await res.text()).toBe('signed')
    const got = up.requests[0]
    // The middleware saw the request as sent: the client's default query and headers included.
    expect(got.url).toBe('/api/orders?v=2&dry=true')
    expect(got.headers['x-default']).toBe('d')
    expect(got.headers['content-type']).toBe('application/json')
  })

  it('changes method, URL, headers and body; client default headers still go to the base origin', async () => {
    const up = await echoUpstream()
    const rewrite: Middleware = (request, next) => {
      request.method = 'PUT'
      request.url = request.url.replace('/old', '/new')
      request.headers['x-added'] = 'yes'
      request.body = 'replaced'
      return next(request)
    }
    const http = client({ baseUrl: up.url, headers: { 'x-default': 'd' }, middleware: [rewrite] })
    const echo = await (await http.post('/old?keep=1', { body: 'original' })).json<Echo>()
    expect(echo).toMatchObject({ method: 'PUT', url: '/new?keep=1', body: 'replaced' })
    expect(echo.headers['x-added']).toBe('yes')
    expect(echo.headers['x-default']).toBe('d')
  })

  it('keeps the origin rules: a URL moved to an origin not allowed is refused, defaults never leave', async () => {
    const up = await echoUpstream()
    const other = await echoUpstream()
    const to =
      (origin: string): Middleware =>
      (request, next) => {
        const url = new URL(request.url)
        request.url = origin + url.pathname + url.search
        request.headers['x-default'] = 'set by the middleware'
        return next(request)
      }
    const refused = client({ baseUrl: up.url, middleware: [to(other.url)] })
    await expect(refused.get('/x')).rejects.toBeInstanceOf(RequestRejectedError)
    expect(other.requests).toHaveLength(0)

    const allowed = client({
      baseUrl: up.url,
      headers: { authorization: 'Bearer base-only', 'x-default': 'd' },
      query: { apiKey: 'base-only' },
      allowedOrigins: [other.url],
      middleware: [to(other.url)],
    })
    const echo = await (await allowed.get('/y', { query: { page: 2 } })).json<Echo>()
    // The defaults the request carried are dropped off the base origin; what the middleware set stays.
    expect(echo.url).toBe('/y?page=2')
    expect(echo.headers.authorization).toBeUndefined()
    expect(echo.headers['x-default']).toBe('set by the middleware')
  })

  it('answers without calling next, and calls next again to retry', async () => {
    let hits = 0
    const up = await upstream((_req, res) => {
      hits++
      res.statusCode = hits === 1 ? 500 : 200
      res.end(`hit ${hits}`)
    })
    const cached: Middleware = (request, next) =>
      new URL(request.url).pathname === '/cached'
        ? request.respond({ status: 200, body: 'from memory' })
        : next(request)
    const retryOnce: Middleware = async (request, next) => {
      request.headers['x-try'] = '1'
      const first = await next(request)
      if (first.status < 500) return first
      await first.dump()
      request.headers['x-try'] = '2'
      return next(request)
    }
    const http = client({ baseUrl: up.url, middleware: [cached, retryOnce], retry: false })
    const memory = await http.get('/cached')
    expect([memory.status, await memory.text()]).toEqual([200, 'from memory'])
    expect(hits).toBe(0)

    const res = await http.get('/flaky')
    expect(await res.text()).toBe('hit 2')
    expect(up.requests.map((r) => r.headers['x-try'])).toEqual(['1', '2'])
  })

  it('a next() call sees its own copy: what an inner middleware changes does not show in the outer one', async () => {
    const up = await echoUpstream()
    const seen: string[] = []
    const outer: Middleware = async (request, next) => {
      await (await next(request)).dump()
      seen.push(String(request.headers['x-inner'] ?? 'unchanged'))
      return next(request)
    }
    const inner: Middleware = (request, next) => {
      request.headers['x-inner'] = 'changed'
      return next(request)
    }
    const http = client({ baseUrl: up.url, middleware: [outer, inner] })
    await (await http.get('/copy')).dump()
    expect(seen).toEqual(['unchanged'])
  })

  it('runs scope middleware inside the client’s (outermost = client’s)', async () => {
    const up = await echoUpstream()
    const order: string[] = []
    const named =
      (name: string): Middleware =>
      async (request, next) => {
        order.push(`${name}>`)
        const res = await next(request)
        order.push(`<${name}`)
        return res
      }
    const http = client({ baseUrl: up.url, middleware: [named('client')] })
    const scope = http.scope({ middleware: [named('scope')] })
    const factory = scope.prepareScope({ middleware: [named('prepared')] })
    const inner = factory.open()
    await (await inner.get('/order')).dump()
    expect(order).toEqual(['client>', 'scope>', 'prepared>', '<prepared', '<scope', '<client'])
    await inner.close()
    await scope.close()
  })

  it('applies raiseForStatus after the outermost middleware, which sees every status', async () => {
    const up = await upstream((_req, res) => {
      res.statusCode = 404
      res.end('missing')
    })
    const statuses: number[] = []
    const http = client({
      baseUrl: up.url,
      raiseForStatus: true,
      middleware: [
        async (request, next) => {
          const res = await next(request)
          statuses.push(res.status)
          return res
        },
      ],
    })
    await expect(http.get('/nothing')).rejects.toBeInstanceOf(HttpStatusError)
    expect(statuses).toEqual([404])
  })

  it('rejects a middleware that returns something other than a response, and checks the option', async () => {
    const up = await echoUpstream()
    const http = client({ baseUrl: up.url, middleware: [(() => 'nope') as unknown as Middleware] })
    await expect(http.get('/')).rejects.toThrow(/middleware\[0\] returned string/)
    expect(() => client({ middleware: ['x' as unknown as Middleware] })).toThrow(ConfigError)
    expect(() => client({ middleware: (() => {}) as unknown as Middleware[] })).toThrow(
      /an array of middleware/,
    )
  })
})

describe('bearerAuth', () => {
  it('refreshes once for 20 concurrent 401s, retries each call once, never loops', async () => {
    let valid = 'token-1'
    const up = await upstream((req, res) => {
      const ok = req.headers.authorization === `Bearer ${valid}`
      res.statusCode = ok ? 200 : 401
      res.end(ok ? 'in' : 'out')
    })
    let issued = 1
    let refreshes = 0
    let serverAcceptsNewTokens = true
    const http = client({
      baseUrl: up.url,
      middleware: [
        bearerAuth({
          getToken: () => `token-${issued}`,
          refresh: async () => {
            refreshes++
            issued++
            if (serverAcceptsNewTokens) valid = `token-${issued}`
            await new Promise((r) => setTimeout(r, 20))
            return `token-${issued}`
          },
        }),
      ],
    })
    expect(await (await http.get('/warm')).text()).toBe('in')
    // The server rotates its key: every call in flight gets a 401 for the old token.
    valid = 'rotated-elsewhere'
    issued = 1
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => http.get(`/call/${i}`)))
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(refreshes).toBe(1)

    // A token the server keeps refusing: one refresh, one retry, then the 401 is the answer.
    const before = up.requests.length
    valid = 'never'
    serverAcceptsNewTokens = false
    const refused = await http.get('/refused')
    expect(refused.status).toBe(401)
    expect(refreshes).toBe(2)
    expect(up.requests.length - before).toBe(2)
  })

  it('checks its options and the token it is given', async () => {
    expect(() => bearerAuth({} as never)).toThrow(ConfigError)
    const up = await echoUpstream()
    const http = client({ baseUrl: up.url, middleware: [bearerAuth({ getToken: () => '' })] })
    await expect(http.get('/')).rejects.toThrow(ConfigError)
    expect(up.requests).toHaveLength(0)
  })
})

describe('observer hooks', () => {
  it('calls every hook of an array, each alone: one that throws does not stop the next', async () => {
    const up = await echoUpstream()
    const a: string[] = []
    const b: string[] = []
    const { captureWarnings } = await import('./support/warnings.js')
    const captured = captureWarnings()
    try {
      const http = client({
        baseUrl: up.url,
        hooks: {
          onRequest: [
            (e) => {
              a.push(e.url)
              throw new Error('tracer broke')
            },
            (e) => b.push(e.url),
          ],
          onResponse: [(e) => a.push(String(e.status)), (e) => b.push(String(e.status))],
        },
      })
      await (await http.get('/both')).dump()
    } finally {
      captured.restore()
    }
    expect(a).toEqual([`${up.url}/both`, '200'])
    expect(b).toEqual([`${up.url}/both`, '200'])
    expect(captured.warnings.map((w) => w.message)).toEqual(['a Mooring onRequest hook threw: tracer broke'])
    expect(() => client({ hooks: { onRequest: [1 as never] } })).toThrow(/hooks\.onRequest/)
  })
})

export type { MooringRequest }
