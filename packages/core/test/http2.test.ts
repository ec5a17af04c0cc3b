import { once } from 'node:events'
import { createServer as createHttpsServer } from 'node:https'
import { createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2'
import { ClientClosedError } from '@mooring/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { sleep, waitFor } from './support/async.js'
import { client } from './support/fixtures.js'
import { urlOf } from './support/http.js'
import { ca, server as serverCert } from './support/tls.js'

type Echo = { httpVersion: string; method: string; path: string; body: string; session: number }

interface H2Upstream {
  url: string
  /** HTTP/2 sessions (connections) opened since start. */
  sessions: number
  /** HTTP/1.1 connections served through allowHTTP1. */
  http1: number
  /** HTTP/2 sessions open now. */
  readonly open: number
  readonly sessionsOpen: ReadonlySet<Http2Session>
  /** Ends every session and the server; again, the same promise. */
  close(): Promise<void>
}

/** A node:http2 secure server with the test certificate, echoing what it got and how. */
async function h2Upstream(): Promise<H2Upstream> {
  const sessions = new Set<Http2Session>()
  let closing: Promise<void> | undefined
  const upstream: H2Upstream = {
    url: '',
    sessions: 0,
    http1: 0,
    get open() {
      return sessions.size
    },
    sessionsOpen: sessions,
    close() {
      closing ??= (async () => {
        for (const session of sessions) session.destroy()
        server.close()
        await once(server, 'close')
      })()
      return closing
    },
  }
  const ids = new WeakMap<Http2Session, number>()
  const server: Http2SecureServer = createSecureServer(
    { ...serverCert, allowHTTP1: true },
    async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      if (req.url.startsWith('/slow')) await sleep(50)
      res.setHeader('content-type', 'application/json')
      res.end(
        JSON.stringify({
          httpVersion: req.httpVersion,
          method: req.method,
          path: req.url,
          body: Buffer.concat(chunks).toString('utf8'),
          session: req.stream?.session ? ids.get(req.stream.session) : -1,
        }),
      )
    },
  )
  server.on('session', (session: Http2Session) => {
    upstream.sessions++
    ids.set(session, upstream.sessions)
    sessions.add(session)
    session.once('close', () => sessions.delete(session))
  })
  server.on('secureConnection', (socket) => {
    if (socket.alpnProtocol !== 'h2') upstream.http1++
  })
  server.listen(0, '127.0.0.1')
  upstream.url = await urlOf(server, 'https')
  onTestFinished(() => upstream.close())
  return upstream
}

describe('HTTP/2', () => {
  it('http2: true speaks h2 to a node:http2 server trusted through tls.ca', async () => {
    const up = await h2Upstream()
    const c = client({ baseUrl: up.url, http2: true, tls: { ca } })
    const res = await c.get('/hello?x=1')
    expect(res.status).toBe(200)
    const body = await res.json<Echo>()
    expect(body).toMatchObject({ httpVersion: '2.0', method: 'GET', path: '/hello?x=1' })
    expect(up.sessions).toBe(1)
    expect(up.http1).toBe(0)
  })

  it('sends request bodies over h2', async () => {
    const up = await h2Upstream()
    const c = client({ baseUrl: up.url, http2: true, tls: { ca } })
    const body = await (await c.post('/echo', { json: { over: 'h2' } })).json<Echo>()
    expect(body).toMatchObject({ httpVersion: '2.0', method: 'POST', body: '{"over":"h2"}' })
  })

  it('multiplexes concurrent requests over one session when limits.pipelining allows streams', async () => {
    const up = await h2Upstream()
    // undici 7 caps the streams of an h2 connection at `pipelining` (undici#4143): room for streams.
    const c = client({ baseUrl: up.url, http2: true, tls: { ca }, limits: { pipelining: 100 } })
    await (await c.get('/warm')).dump()
    const bodies = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => (await c.get(`/slow/${i}`)).json<Echo>()),
    )
    expect(bodies.map((b) => b.httpVersion)).toEqual(Array(10).fill('2.0'))
    expect(new Set(bodies.map((b) => b.session))).toEqual(new Set([1]))
    expect(up.sessions).toBe(1)
  })

  it('a cold burst opens one session, not one connection per call', async () => {
    const up = await h2Upstream()
    const c = client({ baseUrl: up.url, http2: true, tls: { ca }, limits: { pipelining: 100 } })
    const bodies = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => (await c.get(`/slow/${i}`)).json<Echo>()),
    )
    expect(bodies.map((b) => b.httpVersion)).toEqual(Array(50).fill('2.0'))
    expect(up.sessions).toBe(1)
    expect(up.http1).toBe(0)
    // Idle, then closed by the server: the next burst is cold again, and again shares one session.
    for (const session of up.sessionsOpen) session.close()
    await waitFor(() => up.open === 0, 'the sessions to close', 2_000)
    await waitFor(() => (c.stats().origins[up.url]?.open ?? 0) === 0, 'the client to see it', 2_000)
    const again = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => (await c.get(`/slow/${i}`)).json<Echo>()),
    )
    expect(new Set(again.map((b) => b.session))).toEqual(new Set([2]))
    expect(up.sessions).toBe(2)
  })

  it('a cold burst to a server that declines h2 still gets its HTTP/1.1 connections', async () => {
    let connections = 0
    const server = createHttpsServer(serverCert, (req, res) => {
      setTimeout(() => res.end(req.httpVersion), 20)
    })
    server.on('secureConnection', () => connections++)
    server.listen(0, '127.0.0.1')
    const url = await urlOf(server, 'https')
    onTestFinished(async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    })
    const c = client({ baseUrl: url, http2: true, tls: { ca } })
    const versions = await Promise.all(Array.from({ length: 8 }, async () => (await c.get('/x')).text()))
    expect(versions).toEqual(Array(8).fill('1.1'))
    // One to learn the protocol, then as many as HTTP/1.1 needs: the burst is not serialised.
    expect(connections).toBeGreaterThan(1)
  })

  it('a cold burst to a server that is down fails every call, none left waiting', async () => {
    const up = await h2Upstream()
    const url = up.url
    await up.close()
    const c = client({ baseUrl: url, http2: true, tls: { ca }, retry: false })
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => c.get('/x')))
    expect(results.map((r) => r.status)).toEqual(Array(10).fill('rejected'))
  })

  it('without http2, the same server is spoken to in HTTP/1.1', async () => {
    const up = await h2Upstream()
    const c = client({ baseUrl: up.url, tls: { ca } })
    const body = await (await c.get('/hello')).json<Echo>()
    expect(body.httpVersion).toBe('1.1')
    expect(up.sessions).toBe(0)
    expect(up.http1).toBe(1)
  })

  it('close() ends the h2 session', async () => {
    const up = await h2Upstream()
    const c = client({ baseUrl: up.url, http2: true, tls: { ca } })
    await (await c.get('/hello')).dump()
    expect(up.open).toBe(1)
    await c.close()
    await waitFor(() => up.open === 0, 'the server to see the session end', 1_000)
    await expect(c.get('/after')).rejects.toBeInstanceOf(ClientClosedError)
  })
})
