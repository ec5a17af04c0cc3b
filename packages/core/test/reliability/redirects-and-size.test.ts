import { createClient, type MooringClient, ResponseTooLargeError, TooManyRedirectsError } from '@mooring/core'
import { afterEach, describe, expect, it } from 'vitest'
import { startUpstream, type Upstream, type UpstreamHandler } from '../support/upstream.js'
import { startRawUpstream, type RawUpstream } from './support/raw-upstream.js'

const SECRET = 'redirect-secret-5555'

const servers: Array<Upstream | RawUpstream> = []
const clients: MooringClient[] = []

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.destroy()))
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

async function upstream(handler: UpstreamHandler): Promise<Upstream> {
  const u = await startUpstream(handler)
  servers.push(u)
  return u
}

function clientOf(options: Parameters<typeof createClient>[0]): MooringClient {
  const c = createClient(options)
  clients.push(c)
  return c
}

type Seen = { method: string; url: string; headers: Record<string, string | undefined>; body: string }

/** Answers with what it received. */
const echo: UpstreamHandler = (req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () =>
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      }),
    ),
  )
}

describe('following redirects', () => {
  describe.each([301, 302, 303, 307, 308])('%i to another origin', (status) => {
    it.each(['GET', 'POST'])(
      '%s: no credential, default header or default query goes along',
      async (method) => {
        const other = await upstream(echo)
        const home = await upstream((req, res) => {
          req.resume()
          res.writeHead(status, { location: `${other.url}/landing` }).end()
        })
        const c = clientOf({
          baseUrl: home.url,
          headers: { authorization: `Bearer ${SECRET}`, cookie: `sid=${SECRET}`, 'x-default': 'home-only' },
          query: { api_key: SECRET },
          followRedirects: true,
        })
        const res = await c.request({
          method,
          path: '/start',
          headers: {
            authorization: `Bearer ${SECRET}`,
            'proxy-authorization': `Basic ${SECRET}`,
            cookie: `sid=${SECRET}`,
            'x-api-key': SECRET,
            'x-request': 'dropped',
            accept: 'application/json',
          },
          json: method === 'POST' ? { n: 1 } : undefined,
        })
        const seen = await res.json<Seen>()
        expect(res.rawUrl).toBe(`${other.url}/landing`)
        expect(JSON.stringify(seen)).not.toContain(SECRET)
        expect(seen.headers['x-default']).toBeUndefined()
        // Only the safe list goes along: any other header may be a credential by another name.
        expect(seen.headers['x-request']).toBeUndefined()
        expect(seen.headers.accept).toBe('application/json')
        // 303 always, 301/302 after a POST, turn into a GET without a body; 307/308 keep both.
        const toGet = status === 303 || (method === 'POST' && (status === 301 || status === 302))
        expect(seen.method).toBe(toGet ? 'GET' : method)
        expect(seen.body).toBe(method === 'POST' && !toGet ? '{"n":1}' : '')
        if (toGet) expect(seen.headers['content-type']).toBeUndefined()
        else if (method === 'POST') expect(seen.headers['content-type']).toBe('application/json')
      },
    )
  })

  it('credentials written into the Location are not sent either', async () => {
    const other = await upstream(echo)
    const home = await upstream((_req, res) => {
      res.writeHead(302, { location: other.url.replace('http://', `http://user:${SECRET}@`) }).end()
    })
    const c = clientOf({ baseUrl: home.url, followRedirects: true })
    const res = await c.get('/start')
    const seen = await res.json<Seen>()
    expect(seen.headers.authorization).toBeUndefined()
    expect(res.url).not.toContain(SECRET)
    expect(res.rawUrl).not.toContain(SECRET)
  })

  it('a hop away and back home does not bring the credentials back', async () => {
    let home: Upstream | undefined
    const away = await upstream((req, res) => {
      req.resume()
      res.writeHead(302, { location: `${home!.url}/back` }).end()
    })
    home = await upstream((req, res) => {
      if (req.url === '/start') {
        res.writeHead(307, { location: `${away.url}/hop` }).end()
        return
      }
      echo(req, res)
    })
    const c = clientOf({
      baseUrl: home.url,
      headers: { authorization: `Bearer ${SECRET}` },
      followRedirects: true,
    })
    const seen = await (await c.get('/start')).json<Seen>()
    expect(seen.url).toBe('/back')
    expect(seen.headers.authorization).toBeUndefined()
    expect(JSON.stringify(away.requests)).not.toContain(SECRET)
  })

  it('a method-preserving redirect of a one-shot body is handed back, not followed without it', async () => {
    const other = await upstream(echo)
    const home = await upstream((req, res) => {
      req.resume()
      req.on('end', () => res.writeHead(307, { location: `${other.url}/x` }).end())
    })
    const c = clientOf({ baseUrl: home.url, followRedirects: true })
    async function* body() {
      yield Buffer.from('once')
    }
    const res = await c.put('/upload', { body: body() })
    expect(res.status).toBe(307)
    await res.dump()
    expect(other.requests).toHaveLength(0)
  })

  it.each([1, 5, 20])(
    'a loop stops after %i redirects with TooManyRedirectsError, and leaves no connection',
    async (limit) => {
      const loop = await upstream((req, res) => {
        req.resume()
        res.writeHead(302, { location: req.url === '/a' ? '/b' : '/a' }).end()
      })
      const c = clientOf({ baseUrl: loop.url, followRedirects: limit, timeout: { total: 2_000 } })
      const err = await c.get('/a').catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TooManyRedirectsError)
      expect(err).toMatchObject({ code: 'MOORING_TOO_MANY_REDIRECTS', limit, attempts: 1 })
      expect(loop.requests).toHaveLength(limit + 1)
      expect(c.stats().inFlight).toBe(0)
      await c.close()
      await loop.waitForOpen(0)
    },
  )

  it('a loop with no limit reached is still bounded by timeout.total', async () => {
    const loop = await upstream((req, res) => {
      req.resume()
      setTimeout(() => res.writeHead(302, { location: '/again' }).end(), 30)
    })
    const c = clientOf({ baseUrl: loop.url, followRedirects: 50, timeout: { total: 300 } })
    const err = await c.get('/a').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MOORING_TIMEOUT', phase: 'total' })
    expect(loop.requests.length).toBeLessThan(50)
  })
})

describe('maxResponseSize', () => {
  /** A chunked body of 16 KiB chunks, up to `total` bytes per request; `sent` counts all that was written. */
  async function chunked(total: number): Promise<RawUpstream & { sent: number }> {
    const state = { sent: 0 }
    const u = await startRawUpstream(({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n')
      const chunk = `4000\r\n${'x'.repeat(0x4000)}\r\n`
      let mine = 0
      const timer = setInterval(() => {
        if (mine >= total) {
          clearInterval(timer)
          socket.end('0\r\n\r\n')
          return
        }
        mine += 0x4000
        state.sent += 0x4000
        socket.write(chunk)
      }, 1)
      socket.once('close', () => clearInterval(timer))
    })
    servers.push(u)
    return Object.assign(u, {
      get sent() {
        return state.sent
      },
    })
  }

  it.each(['bytes', 'text', 'json', 'stream'] as const)(
    'a chunked body over the limit fails %s() with ResponseTooLargeError, long before the server is done',
    async (read) => {
      const u = await chunked(16 * 1024 * 1024)
      const c = clientOf({ baseUrl: u.url, maxResponseSize: 64 * 1024 })
      const res = await c.get('/big')
      let err: unknown
      try {
        if (read === 'stream') for await (const _ of res.body) void _
        else await res[read]()
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(ResponseTooLargeError)
      expect(err).toMatchObject({ code: 'MOORING_RESPONSE_TOO_LARGE', limit: 64 * 1024 })
      // The connection is cut: the server stops well short of the 16 MiB it meant to send.
      await u.waitForOpen(0)
      expect(u.sent).toBeLessThan(4 * 1024 * 1024)
    },
  )

  it('the limit holds for a body nobody reads, and per scope and per request', async () => {
    const u = await chunked(2 * 1024 * 1024)
    const c = clientOf({ baseUrl: u.url })
    const scope = c.scope({ maxResponseSize: 32 * 1024 })
    const unread = await scope.get('/a')
    await u.waitForOpen(0)
    await expect(unread.bytes()).rejects.toBeInstanceOf(ResponseTooLargeError)
    const perRequest = await c.get('/b', { maxResponseSize: 32 * 1024 })
    await expect(perRequest.text()).rejects.toBeInstanceOf(ResponseTooLargeError)
    // Without a limit the same body comes through whole.
    expect((await (await c.get('/c')).bytes()).byteLength).toBe(2 * 1024 * 1024)
    await scope.close()
  })

  it('a body exactly at the limit is fine', async () => {
    const u = await upstream((_req, res) => res.end('x'.repeat(1024)))
    const c = clientOf({ baseUrl: u.url, maxResponseSize: 1024 })
    expect(await (await c.get('/')).text()).toHaveLength(1024)
    await expect(c.get('/', { maxResponseSize: 1023 })).rejects.toBeInstanceOf(ResponseTooLargeError)
  })
})
