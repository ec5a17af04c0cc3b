import {
  ConnectionError,
  HttpStatusError,
  RequestRejectedError,
  redactUrl,
  TimeoutError,
} from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { client, upstream } from './support/fixtures.js'
import { startUpstream } from './support/upstream.js'

const SECRET = 'hunter2-s3cr3t'

type Echo = { url: string; headers: Record<string, string | undefined> }

/** Expects a RequestRejectedError that names no secret, and returns it. */
async function rejected(call: Promise<unknown>): Promise<RequestRejectedError> {
  const err = await call.then(
    () => {
      throw new Error('expected the request to be refused')
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(RequestRejectedError)
  expect((err as RequestRejectedError).code).toBe('MOORING_REQUEST_REJECTED')
  expect((err as Error).message).not.toContain(SECRET)
  return err as RequestRejectedError
}

describe('header injection', () => {
  it.each([
    ['CRLF in a value', { 'x-note': `${SECRET}\r\nx-injected: 1` }],
    ['LF in a value', { authorization: `Bearer ${SECRET}\nx-injected: 1` }],
    ['CR in a value', { cookie: `sid=${SECRET}\rx` }],
    ['NUL in a value', { 'x-token': `${SECRET}\0` }],
    ['CRLF in a name', { 'x-a\r\nx-injected': SECRET }],
    ['NUL in a name', { 'x-a\0': SECRET }],
    ['a space in a name', { 'x a': SECRET }],
    ['CRLF in one value of many', { 'x-list': ['ok', `${SECRET}\r\n`] }],
    ['CRLF in a pair', [['x-pair', `${SECRET}\r\nx-injected: 1`]] as Array<[string, string]>],
  ])('%s is refused before any byte is sent', async (_what, headers) => {
    const up = await upstream()
    const c = client({ baseUrl: up.url })
    const err = await rejected(c.get('/x', { headers }))
    expect(err.message).toMatch(/header/)
    expect(up.requests).toHaveLength(0)
    expect(up.connections).toBe(0)
    expect(c.stats().inFlight).toBe(0)
  })

  it('a clean request on the same client still goes through', async () => {
    const up = await upstream()
    const c = client({ baseUrl: up.url })
    await rejected(c.get('/bad', { headers: { 'x-a': 'b\r\nc' } }))
    const body = await (await c.get('/good', { headers: { 'x-a': 'b' } })).json<Echo>()
    expect(body.headers['x-a']).toBe('b')
    expect(up.requests.map((r) => r.url)).toEqual(['/good'])
  })
})

describe('a path cannot leave the base origin', () => {
  it.each([
    '//evil.example/x',
    'http://other-host/x',
    '\\\\evil',
    '/\\evil.example/x',
    '\\/evil.example/x',
    'https://evil.example/x',
    'javascript:alert(1)',
    'file:///etc/passwd',
  ])('%s is refused before any byte is sent', async (path) => {
    const up = await upstream()
    const c = client({ baseUrl: `${up.url}/api` })
    await rejected(c.get(path))
    expect(up.requests).toHaveLength(0)
    expect(up.connections).toBe(0)
  })

  it('nor reach another port or scheme of the same host', async () => {
    const up = await upstream()
    const other = await upstream()
    const c = client({ baseUrl: up.url })
    const err = await rejected(c.get(`${other.url}/x`))
    expect(err.message).toContain('allowedOrigins')
    await rejected(c.get(`${up.url.replace('http:', 'https:')}/x`))
    expect(other.connections).toBe(0)
    expect(up.connections).toBe(0)
  })

  it('relative paths and absolute URLs to the base origin stay on it', async () => {
    const up = await upstream()
    const c = client({ baseUrl: `${up.url}/api/` })
    expect((await (await c.get('users')).json<Echo>()).url).toBe('/api/users')
    expect((await (await c.get('/users')).json<Echo>()).url).toBe('/api/users')
    expect((await (await c.get(`${up.url}/elsewhere`)).json<Echo>()).url).toBe('/elsewhere')
  })

  it('a redirect to another origin is not followed', async () => {
    const other = await upstream()
    const up = await upstream((_req, res) => {
      res.writeHead(302, { location: `${other.url}/stolen` })
      res.end()
    })
    const c = client({ baseUrl: up.url, headers: { authorization: `Bearer ${SECRET}` } })
    const res = await c.get('/go')
    expect(res.status).toBe(302)
    await res.dump()
    expect(other.connections).toBe(0)
  })
})

describe('allowedOrigins', () => {
  it("reaches a second origin without the client's default headers or query", async () => {
    const home = await upstream()
    const partner = await upstream()
    const c = client({
      baseUrl: home.url,
      headers: { authorization: `Bearer ${SECRET}`, cookie: `sid=${SECRET}`, 'x-app': 'mooring' },
      query: { api_key: SECRET },
      allowedOrigins: [partner.url],
    })
    const scope = c.scope({ headers: { authorization: `Bearer scope-${SECRET}` } })

    const away = await (await c.get(`${partner.url}/hook`, { headers: { 'x-call': '1' } })).json<Echo>()
    expect(away.url).toBe('/hook')
    expect(away.headers.authorization).toBeUndefined()
    expect(away.headers.cookie).toBeUndefined()
    expect(away.headers['x-app']).toBeUndefined()
    expect(away.headers['x-call']).toBe('1')
    const fromScope = await (await scope.get(`${partner.url}/scoped`)).json<Echo>()
    expect(fromScope.headers.authorization).toBeUndefined()
    expect(JSON.stringify(partner.requests)).not.toContain(SECRET)

    // At home, the defaults go as usual.
    const here = await (await c.get('/home')).json<Echo>()
    expect(here.headers.authorization).toBe(`Bearer ${SECRET}`)
    expect(here.headers.cookie).toBe(`sid=${SECRET}`)
    expect(here.url).toBe(`/home?api_key=${SECRET}`)
    await scope.close()
  })

  it("'*' allows any origin, still without the defaults", async () => {
    const home = await upstream()
    const anywhere = await upstream()
    const c = client({ baseUrl: home.url, headers: { authorization: SECRET }, allowedOrigins: '*' })
    const body = await (await c.get(`${anywhere.url}/x`)).json<Echo>()
    expect(body.headers.authorization).toBeUndefined()
  })

  it('credentials written into a URL are neither sent nor shown', async () => {
    const home = await upstream()
    const partner = await upstream()
    const c = client({ baseUrl: home.url, allowedOrigins: [partner.url] })
    const withCredentials = partner.url.replace('http://', `http://user:${SECRET}@`)
    const res = await c.get(`${withCredentials}/x`)
    const body = await res.json<Echo>()
    expect(body.headers.authorization).toBeUndefined()
    expect(res.url).not.toContain(SECRET)
    expect(res.rawUrl).not.toContain(SECRET)
  })
})

describe('error messages redact secrets in URLs', () => {
  it('a secret-looking query value in the path', async () => {
    const up = await upstream(() => {})
    const c = client({ baseUrl: up.url, timeout: { total: 100 }, redact: { showQuery: ['page'] } })
    const err = await c.get(`/x?api_key=${SECRET}&page=2`).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    const { message, url } = err as TimeoutError
    expect(message).toContain('api_key=[redacted]')
    expect(message).toContain('page=2')
    expect(message).not.toContain(SECRET)
    expect(url).not.toContain(SECRET)
    // The server did get the real value: redaction is for messages only.
    expect(up.requests[0].url).toBe(`/x?api_key=${SECRET}&page=2`)
  })

  it('a secret-looking value from the query option, and on a connection error', async () => {
    const gone = await startUpstream()
    await gone.close()
    const c = client({ baseUrl: gone.url, retry: false, redact: { showQuery: ['q'] } })
    const err = await c.get('/x', { query: { access_token: SECRET, q: 'shoes' } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionError)
    expect((err as ConnectionError).causeCode).toBe('ECONNREFUSED')
    expect((err as Error).message).toContain('access_token=[redacted]')
    expect((err as Error).message).toContain('q=shoes')
    expect((err as Error).message).not.toContain(SECRET)
  })

  it('HttpStatusError and the response url', async () => {
    const up = await upstream((_req, res) => {
      res.statusCode = 403
      res.end('no')
    })
    const c = client({
      baseUrl: up.url,
      raiseForStatus: true,
      retry: false,
      redact: { showQuery: ['id'] },
    })
    const err = await c.get(`/x?sig=${SECRET}&token=${SECRET}&id=7`).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HttpStatusError)
    const { message, response } = err as HttpStatusError
    expect(message).toContain('status 403')
    expect(message).not.toContain(SECRET)
    expect(response.url).toBe(`${up.url}/x?sig=[redacted]&token=[redacted]&id=7`)
    expect(response.rawUrl).toBe(`${up.url}/x?sig=${SECRET}&token=${SECRET}&id=7`)
    await response.dump()
  })

  it('a refused URL with credentials and a token', async () => {
    const up = await upstream()
    const c = client({ baseUrl: up.url })
    const err = await rejected(c.get(`http://admin:${SECRET}@other-host/x?token=${SECRET}`))
    expect(err.message).not.toContain('admin')
    expect(err.url).not.toContain(SECRET)
  })

  it('redactUrl', () => {
    expect(
      redactUrl(`https://user:${SECRET}@api.example/x?api_key=${SECRET}&page=2#top`, new Set(['page'])),
    ).toBe('https://[redacted]@api.example/x?api_key=[redacted]&page=2')
    expect(
      redactUrl(`/x?password=${SECRET}&client_secret=${SECRET}&X-Amz-Signature=${SECRET}`),
    ).not.toContain(SECRET)
    expect(redactUrl('https://api.example/x?page=2&sort=asc', new Set(['page', 'sort']))).toBe(
      'https://api.example/x?page=2&sort=asc',
    )
  })
})
