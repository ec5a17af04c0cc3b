import { createServer as createHttpsServer } from 'node:https'
import { gzipSync } from 'node:zlib'
import { ConfigError, createClient } from '@mooring/core'
import { Agent, type Dispatcher, interceptors } from 'undici'
import { describe, expect, it, onTestFinished } from 'vitest'
import { client, closeWhenDone, upstream } from './support/fixtures.js'
import { urlOf } from './support/http.js'
import * as tls from './support/tls.js'
import { captureWarnings } from './support/warnings.js'

const PAYLOAD = { hello: 'compressed world', items: [1, 2, 3] }

describe('interceptors over the owned pool', () => {
  it('reads a gzip answer through interceptors.decompress() with limits.connections and tls set', async () => {
    const server = createHttpsServer({ ...tls.server }, (req, res) => {
      res.setHeader('content-type', 'application/json')
      res.setHeader('content-encoding', 'gzip')
      res.end(gzipSync(JSON.stringify({ ...PAYLOAD, path: req.url })))
    })
    server.listen(0, '127.0.0.1')
    const url = await urlOf(server, 'https')
    closeWhenDone({ close: () => new Promise<void>((r) => server.close(() => r())) })
    server.on('connection', (socket) => closeWhenDone({ close: async () => void socket.destroy() }))

    // undici 7 marks the interceptor experimental with a process warning, once per process.
    const captured = captureWarnings()
    onTestFinished(() => captured.restore())
    const http = client({
      baseUrl: url,
      limits: { connections: 1 },
      tls: { ca: tls.ca },
      interceptors: [interceptors.decompress()],
      decompress: false,
    })
    const answers = await Promise.all(
      [1, 2, 3].map(async (i) => (await http.get(`/gz/${i}`)).json<typeof PAYLOAD & { path: string }>()),
    )
    expect(answers.map((a) => a.path)).toEqual(['/gz/1', '/gz/2', '/gz/3'])
    expect(answers[0].hello).toBe('compressed world')
    // limits.connections still holds under the interceptor: one connection served all three.
    const origin = new URL(url).origin
    expect(http.stats().origins[origin].open).toBe(1)
    // Without decompression (on by default, features/decompress.ts) the same answer is gzip bytes, which json() cannot read.
    const plain = client({ baseUrl: url, tls: { ca: tls.ca }, decompress: false })
    await expect((await plain.get('/gz/raw')).json()).rejects.toThrow(SyntaxError)
    expect(captured.warnings.map((w) => w.message)).toEqual(
      captured.warnings.length === 0 ? [] : ['DecompressInterceptor is experimental and subject to change'],
    )
  })

  it('answers a repeated GET from interceptors.cache() without asking the upstream again', async () => {
    const up = await upstream((req, res) => {
      res.setHeader('cache-control', 'public, max-age=60')
      res.setHeader('content-type', 'text/plain')
      res.end(`fresh ${req.url}`)
    })
    const http = client({ baseUrl: up.url, interceptors: [interceptors.cache()] })
    const first = await http.get('/cached')
    expect(await first.text()).toBe('fresh /cached')
    const second = await http.get('/cached')
    expect(await second.text()).toBe('fresh /cached')
    expect(second.headers.age).toBeDefined()
    expect(up.requests.filter((r) => r.url === '/cached')).toHaveLength(1)
  })

  it('resolves names through interceptors.dns() with a lookup of its own', async () => {
    const up = await upstream()
    const port = new URL(up.url).port
    const looked: string[] = []
    const http = client({
      baseUrl: `http://mooring-upstream.test:${port}`,
      interceptors: [
        interceptors.dns({
          lookup: (origin, _opts, callback) => {
            looked.push(origin.hostname)
            callback(null, [{ address: '127.0.0.1', family: 4, ttl: 60_000 }])
          },
        }),
      ],
    })
    for (let i = 0; i < 3; i++) {
      const body = await (await http.get(`/dns/${i}`)).json<{
        url: string
        headers: Record<string, string>
      }>()
      expect(body.url).toBe(`/dns/${i}`)
      expect(body.headers.host).toBe(`mooring-upstream.test:${port}`)
    }
    // Looked up once, then served from the interceptor's own records.
    expect(looked).toEqual(['mooring-upstream.test'])
  })

  it('runs a user-written interceptor (new handler API) on every attempt, retries included', async () => {
    let calls = 0
    const up = await upstream((req, res) => {
      calls++
      res.statusCode = calls === 1 ? 503 : 200
      res.end(String(req.headers['x-attempt-seen']))
    })
    const seen: Array<{ path: string; status: number }> = []
    const tagging: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
      const headers = {
        ...(opts.headers as Record<string, string>),
        'x-attempt-seen': String(seen.length + 1),
      }
      return dispatch(
        { ...opts, headers },
        {
          onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
          onResponseStart: (controller, status, responseHeaders, message) => {
            seen.push({ path: opts.path, status })
            handler.onResponseStart?.(controller, status, responseHeaders, message)
          },
          onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
          onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
          onResponseError: (controller, err) => handler.onResponseError?.(controller, err),
        },
      )
    }
    const http = client({
      baseUrl: up.url,
      interceptors: [tagging],
      retry: { limit: 2, backoff: { base: 1, max: 1 } },
    })
    const res = await http.get('/tagged')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('2')
    expect(res.attempts).toBe(2)
    expect(seen).toEqual([
      { path: '/tagged', status: 503 },
      { path: '/tagged', status: 200 },
    ])
  })

  it('composes a scope’s interceptors over its isolated pool, inside the client’s, and closes that pool', async () => {
    const up = await upstream()
    const order: string[] = []
    const named =
      (name: string): Dispatcher.DispatcherComposeInterceptor =>
      (dispatch) =>
      (opts, handler) => {
        order.push(name)
        return dispatch(opts, handler)
      }
    const http = client({ baseUrl: up.url, interceptors: [named('client')] })
    const scope = http.scope({ pool: 'isolated', interceptors: [named('scope')] })
    await (await scope.get('/isolated')).dump()
    expect(order).toEqual(['client', 'scope'])
    const dispatcher = scope.dispatcher
    await scope.close()
    // The pool under the interceptors was closed with the scope.
    await expect(dispatcher.request({ origin: up.url, path: '/after', method: 'GET' })).rejects.toThrow(
      /closed|destroyed/i,
    )
  })

  it('refuses interceptors where there is no owned pool to compose over', () => {
    const transport = new Agent()
    closeWhenDone(transport)
    expect(() => createClient({ transport, interceptors: [interceptors.dump()] })).toThrow(ConfigError)
    expect(() => createClient({ interceptors: [42 as never] })).toThrow(/interceptors\[0\]/)
    const http = client({ baseUrl: 'http://127.0.0.1:9' })
    expect(() => http.scope({ interceptors: [interceptors.dump()] })).toThrow(/unless pool is 'isolated'/)
  })
})
