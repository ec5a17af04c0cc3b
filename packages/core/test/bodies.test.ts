import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { type BodyInput, HttpStatusError, TimeoutError } from '@mooring/core'
import { FormData as UndiciFormData } from 'undici'
import { describe, expect, it } from 'vitest'
import { waitFor } from './support/async.js'
import { client, upstream } from './support/fixtures.js'
import { echo } from './support/upstream.js'

type Echo = { method: string; url: string; headers: Record<string, string | undefined>; body: string }

const BIG = 8 * 1024 * 1024

/** `/big` sends 8 MiB, `/status/N` answers N with a JSON body, `/text` plain text; the rest is echoed. */
function handler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/big') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG })
    res.end(Buffer.alloc(BIG, 97))
    return
  }
  const status = /^\/status\/(\d+)/.exec(req.url ?? '')
  if (status) {
    res.writeHead(Number(status[1]), { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: `status ${status[1]}` }))
    return
  }
  if (req.url === '/text') {
    res.end('héllo wörld')
    return
  }
  echo(req, res)
}

describe('request bodies', () => {
  async function echoOf(body: BodyInput, headers?: Record<string, string>): Promise<Echo> {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    return (await c.post('/echo', { body, headers })).json<Echo>()
  }

  it('string', async () => {
    const echo = await echoOf('plain text')
    expect(echo.body).toBe('plain text')
    expect(echo.headers['content-type']).toBe('text/plain;charset=UTF-8')
  })

  it('Buffer', async () => {
    const echo = await echoOf(Buffer.from('from a buffer'))
    expect(echo.body).toBe('from a buffer')
    expect(echo.headers['content-length']).toBe('13')
    expect(echo.headers['content-type']).toBeUndefined()
  })

  it('Uint8Array and ArrayBuffer', async () => {
    expect((await echoOf(new TextEncoder().encode('bytes'))).body).toBe('bytes')
    expect((await echoOf(new TextEncoder().encode('array buffer').buffer)).body).toBe('array buffer')
  })

  it('Readable', async () => {
    const echo = await echoOf(Readable.from([Buffer.from('one,'), Buffer.from('two,'), Buffer.from('three')]))
    expect(echo.body).toBe('one,two,three')
    expect(echo.headers['transfer-encoding']).toBe('chunked')
  })

  it('async iterable', async () => {
    async function* parts(): AsyncGenerator<Uint8Array | string> {
      yield 'async '
      yield Buffer.from('iterable')
    }
    expect((await echoOf(parts())).body).toBe('async iterable')
  })

  it('URLSearchParams', async () => {
    const echo = await echoOf(new URLSearchParams({ a: '1', b: 'two words' }))
    expect(echo.body).toBe('a=1&b=two+words')
    expect(echo.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
  })

  it('FormData (the global one)', async () => {
    const form = new FormData()
    form.append('name', 'mooring')
    form.append('file', new Blob(['file contents'], { type: 'text/plain' }), 'notes.txt')
    const echo = await echoOf(form)
    const type = echo.headers['content-type'] ?? ''
    expect(type).toMatch(/^multipart\/form-data; boundary=/)
    const boundary = type.split('boundary=')[1]
    expect(echo.body).toContain(`--${boundary}`)
    expect(echo.body).toContain('name="name"\r\n\r\nmooring\r\n')
    expect(echo.body).toContain('filename="notes.txt"')
    expect(echo.body).toContain('file contents')
  })

  it("undici's own FormData", async () => {
    const form = new UndiciFormData()
    form.append('name', 'undici')
    const echo = await echoOf(form)
    expect(echo.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/)
    expect(echo.body).toContain('name="name"\r\n\r\nundici\r\n')
  })

  it('Blob takes its type', async () => {
    const echo = await echoOf(new Blob(['<x/>'], { type: 'application/xml' }))
    expect(echo.body).toBe('<x/>')
    expect(echo.headers['content-type']).toBe('application/xml')
  })

  it('json', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    const echo = await (await c.put('/j', { json: { a: [1, 2], b: null } })).json<Echo>()
    expect(echo.method).toBe('PUT')
    expect(echo.body).toBe('{"a":[1,2],"b":null}')
    expect(echo.headers['content-type']).toBe('application/json')
  })

  it("the caller's content-type wins over the implied one", async () => {
    const echo = await echoOf('{"raw":true}', { 'Content-Type': 'application/vnd.api+json' })
    expect(echo.headers['content-type']).toBe('application/vnd.api+json')
  })
})

describe('response bodies', () => {
  it('json(), text(), bytes(), arrayBuffer()', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    expect((await (await c.get('/j?x=1')).json<Echo>()).url).toBe('/j?x=1')
    expect(await (await c.get('/text')).text()).toBe('héllo wörld')

    const bytes = await (await c.get('/text')).bytes()
    expect(bytes).toBeInstanceOf(Uint8Array)
    expect(Buffer.from(bytes).toString('utf8')).toBe('héllo wörld')

    const ab = await (await c.get('/text')).arrayBuffer()
    expect(ab).toBeInstanceOf(ArrayBuffer)
    expect(new TextDecoder().decode(ab)).toBe('héllo wörld')
  })

  it('json() of a body that is not JSON rejects', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    await expect((await c.get('/text')).json()).rejects.toBeInstanceOf(SyntaxError)
  })

  it('body, a stream of the whole (large) body', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    const res = await c.get('/big')
    let size = 0
    let allA = true
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length
      if ((chunk as Buffer).some((b) => b !== 97)) allA = false
    }
    expect(size).toBe(BIG)
    expect(allA).toBe(true)
    expect(c.stats().inFlight).toBe(0)
  })

  it('dump() lets a small body go and keeps the connection', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url, limits: { connections: 1 } })
    for (let i = 0; i < 5; i++) {
      const res = await c.get('/text')
      expect(res.bodyUsed).toBe(false)
      await res.dump()
      expect(res.bodyUsed).toBe(true)
    }
    expect(up.connections).toBe(1)
    expect(c.stats().inFlight).toBe(0)
  })

  it('a body read twice rejects', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    const res = await c.get('/text')
    expect(await res.text()).toBe('héllo wörld')
    await expect(res.text()).rejects.toThrow(/already been used/)
    await expect(res.json()).rejects.toThrow(/already been used/)
    await expect(res.bytes()).rejects.toThrow(/already been used/)
    expect(() => res.body).toThrow(/already been used/)

    const streamed = await c.get('/text')
    void streamed.body
    await expect(streamed.text()).rejects.toThrow(/already been used/)
    streamed.body.destroy()
  })

  it('a HEAD response has an empty body', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    const res = await c.head('/text')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
  })
})

describe('raiseForStatus', () => {
  it('the method throws HttpStatusError with status and response, and returns an ok response', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    const ok = await c.get('/status/201')
    expect(ok.raiseForStatus()).toBe(ok)
    await ok.dump()

    const res = await c.get('/status/404')
    expect(res.ok).toBe(false)
    let thrown: unknown
    try {
      res.raiseForStatus()
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(HttpStatusError)
    const err = thrown as HttpStatusError
    expect(err.status).toBe(404)
    expect(err.code).toBe('MOORING_HTTP_STATUS')
    expect(err.response).toBe(res)
    expect(await err.response.json()).toEqual({ error: 'status 404' })
  })

  it('the client option rejects 4xx and 5xx, with the body still readable', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url, raiseForStatus: true, retry: false })
    for (const status of [400, 404, 500, 503]) {
      const err = await c.get(`/status/${status}`).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(HttpStatusError)
      expect((err as HttpStatusError).status).toBe(status)
      expect((err as HttpStatusError).response.status).toBe(status)
      expect(await (err as HttpStatusError).response.json()).toEqual({ error: `status ${status}` })
    }
    expect((await c.get('/status/302')).status).toBe(302)
    // Per request and per scope, it can be turned off or on.
    expect((await c.get('/status/404', { raiseForStatus: false })).status).toBe(404)
    expect((await c.scope({ raiseForStatus: false }).get('/status/404')).status).toBe(404)
    const plain = client({ baseUrl: up.url })
    expect((await plain.get('/status/404')).status).toBe(404)
    await expect(plain.scope({ raiseForStatus: true }).get('/status/404')).rejects.toBeInstanceOf(
      HttpStatusError,
    )
    await expect(plain.get('/status/404', { raiseForStatus: true })).rejects.toBeInstanceOf(HttpStatusError)
  })
})

describe('a large unread body', () => {
  it('holds its connection until its scope closes, then lets it go', async () => {
    const up = await upstream(handler)
    const app = client({ baseUrl: up.url, limits: { connections: 1 } })
    const scope = app.scope()
    const res = await scope.get('/big')
    expect(res.status).toBe(200)

    // Unread, the body holds the only connection: nothing else gets through.
    const blocked = await app.get('/text', { timeout: { pool: 100 } }).catch((e: unknown) => e)
    expect(blocked).toBeInstanceOf(TimeoutError)
    expect((blocked as TimeoutError).phase).toBe('pool')
    expect(app.stats().inFlight).toBe(1)

    await scope.close()
    await expect(res.text()).rejects.toThrow(/scope was closed/)
    expect(app.stats().inFlight).toBe(0)
    expect(await (await app.get('/text', { timeout: { pool: 2_000 } })).text()).toBe('héllo wörld')
    // The aborted connection is gone; only the new one is open.
    await up.waitForOpen(1, 1_000)
  })

  it('is let go by dump()', async () => {
    const up = await upstream(handler)
    const app = client({ baseUrl: up.url, limits: { connections: 1 } })
    const res = await app.get('/big')
    await waitFor(() => up.requests.length === 1, 'the request upstream')
    expect(app.stats().inFlight).toBe(1)

    await res.dump()
    expect(app.stats().inFlight).toBe(0)
    expect(await (await app.get('/text', { timeout: { pool: 2_000 } })).text()).toBe('héllo wörld')
    await up.waitForOpen(1, 1_000)
  })
})
