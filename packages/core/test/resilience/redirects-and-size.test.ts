import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  DEFAULT_MAX_RESPONSE_SIZE,
  ResponseTooLargeError,
  TooManyRedirectsError,
} from '../../src/index.js'
import * as fixture from '../support/fixtures.js'

describe('redirects', () => {
  it('are handed to the caller unless followRedirects is on', async () => {
    const a = await fixture.upstream((req, res) => {
      if (req.url === '/old') {
        res.writeHead(301, { location: '/new' }).end()
        return
      }
      res.end(`at ${req.url}`)
    })
    const client = fixture.client({ baseUrl: a.url })
    const plain = await client.get('/old')
    expect(plain.status).toBe(301)
    const followed = await client.get('/old', { followRedirects: true })
    expect(followed.status).toBe(200)
    expect(await followed.text()).toBe('at /new')
    expect(followed.rawUrl).toBe(`${a.url}/new`)
  })

  it('strip credentials and the client defaults on a cross-origin redirect, keep them on the same origin', async () => {
    const other = await fixture.upstream((req, res) => res.end(JSON.stringify(req.headers)))
    const home = await fixture.upstream((req, res) => {
      if (req.url === '/same') res.writeHead(302, { location: '/echo' }).end()
      else if (req.url === '/away') res.writeHead(307, { location: `${other.url}/landing` }).end()
      else res.end(JSON.stringify(req.headers))
    })
    const client = fixture.client({
      baseUrl: home.url,
      headers: { authorization: 'Bearer default-secret', 'x-api-key': 'key-secret' },
      followRedirects: 3,
    })
    const same = await (await client.get('/same')).json<Record<string, string>>()
    expect(same.authorization).toBe('Bearer default-secret')
    const res = await client.get('/away', { headers: { cookie: 'sid=1', 'x-trace': 't-1' } })
    const seen = await res.json<Record<string, string>>()
    expect(res.rawUrl).toBe(`${other.url}/landing`)
    expect(seen.authorization).toBeUndefined()
    expect(seen.cookie).toBeUndefined()
    expect(seen['x-api-key']).toBeUndefined()
    // Not on the safe list: it could be a credential by another name.
    expect(seen['x-trace']).toBeUndefined()
  })

  it('carry only safe request headers to another origin, and the body headers only with the body', async () => {
    const other = await fixture.upstream((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () =>
        res.end(
          JSON.stringify({
            method: req.method,
            headers: req.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        ),
      )
    })
    const home = await fixture.upstream((req, res) =>
      res.writeHead(req.url === '/found' ? 302 : 307, { location: `${other.url}/landing` }).end(),
    )
    const client = fixture.client({ baseUrl: home.url, followRedirects: true })
    const headers = {
      'x-api-key': 'per-request-secret',
      'x-custom-auth': 'another-secret',
      accept: 'application/json',
      'accept-language': 'fr',
      'user-agent': 'mooring-test',
    }
    type Seen = { method: string; headers: Record<string, string>; body: string }
    const kept = await (await client.post('/temporary', { headers, json: { a: 1 } })).json<Seen>()
    expect(kept.method).toBe('POST')
    expect(kept.body).toBe('{"a":1}')
    expect(kept.headers['x-api-key']).toBeUndefined()
    expect(kept.headers['x-custom-auth']).toBeUndefined()
    expect(kept.headers.accept).toBe('application/json')
    expect(kept.headers['accept-language']).toBe('fr')
    expect(kept.headers['user-agent']).toBe('mooring-test')
    expect(kept.headers['content-type']).toBe('application/json')
    const toGet = await (await client.post('/found', { headers, json: { a: 1 } })).json<Seen>()
    expect(toGet.method).toBe('GET')
    expect(toGet.headers['x-api-key']).toBeUndefined()
    expect(toGet.headers['content-type']).toBeUndefined()
    expect(toGet.headers.accept).toBe('application/json')
  })

  it('turn a POST into a GET on 303 and keep method and body on 307', async () => {
    const u = await fixture.upstream((req, res) => {
      if (req.url === '/see-other') res.writeHead(303, { location: '/result' }).end()
      else if (req.url === '/temp') res.writeHead(307, { location: '/result' }).end()
      else {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => res.end(`${req.method} ${Buffer.concat(chunks).toString()}`))
      }
    })
    const client = fixture.client({ baseUrl: u.url, followRedirects: true })
    expect(await (await client.post('/see-other', { json: { a: 1 } })).text()).toBe('GET ')
    expect(await (await client.post('/temp', { json: { a: 1 } })).text()).toBe('POST {"a":1}')
  })

  it('stop a loop at the limit with TooManyRedirectsError', async () => {
    const u = await fixture.upstream((req, res) => {
      res.writeHead(302, { location: req.url === '/a' ? '/b' : '/a' }).end()
    })
    const client = fixture.client({ baseUrl: u.url, followRedirects: 4 })
    const error = await client.get('/a').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TooManyRedirectsError)
    expect(error).toMatchObject({ code: 'MOORING_TOO_MANY_REDIRECTS', limit: 4 })
    expect(u.requests).toHaveLength(5)
  })
})

describe('maxResponseSize', () => {
  it('fails a body over the limit by its content-length, before reading it', async () => {
    const u = await fixture.upstream((_req, res) => res.end(Buffer.alloc(64 * 1024)))
    const client = fixture.client({ baseUrl: u.url, maxResponseSize: 1024 })
    await expect(client.get('/big')).rejects.toBeInstanceOf(ResponseTooLargeError)
  })

  it('fails a chunked body once it grows past the limit, without buffering it all', async () => {
    let written = 0
    const u = await fixture.upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      const chunk = Buffer.alloc(16 * 1024)
      const timer = setInterval(() => {
        if (res.destroyed || written > 8 * 1024 * 1024) {
          clearInterval(timer)
          res.end()
          return
        }
        written += chunk.length
        res.write(chunk)
      }, 1)
    })
    const client = fixture.client({ baseUrl: u.url, maxResponseSize: 100 * 1024 })
    const res = await client.get('/stream')
    const error = await res.bytes().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ResponseTooLargeError)
    expect(written).toBeLessThan(8 * 1024 * 1024)
    await u.waitForOpen(0)
  })

  it('is finite by default (64 MiB); Infinity or false opts out, per client, scope or request', async () => {
    expect(DEFAULT_MAX_RESPONSE_SIZE).toBe(64 * 1024 * 1024)
    // The head announces one byte past the default: refused at the head, no body read.
    const u = await fixture.upstream((_req, res) => {
      res.writeHead(200, { 'content-length': String(DEFAULT_MAX_RESPONSE_SIZE + 1) })
      res.write('x')
    })
    const plain = fixture.client({ baseUrl: u.url, retry: false })
    const err = await plain.get('/huge').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect((err as ResponseTooLargeError).limit).toBe(DEFAULT_MAX_RESPONSE_SIZE)
    for (const client of [
      fixture.client({ baseUrl: u.url, maxResponseSize: Number.POSITIVE_INFINITY }),
      fixture.client({ baseUrl: u.url, maxResponseSize: false }),
    ]) {
      const res = await client.get('/huge')
      expect(res.status).toBe(200)
      await client.destroy()
    }
    for (const init of [{ maxResponseSize: false as const }, { maxResponseSize: Number.POSITIVE_INFINITY }]) {
      const scope = plain.scope(init)
      expect((await scope.get('/huge')).status).toBe(200)
      await scope.destroy()
      const call = plain.scope()
      expect((await call.get('/huge', init)).status).toBe(200)
      await call.destroy()
    }
    for (const bad of [-1, 1.5, Number.NaN, true, '1mb']) {
      expect(() => fixture.client({ maxResponseSize: bad as never })).toThrow(ConfigError)
    }
  })
})
