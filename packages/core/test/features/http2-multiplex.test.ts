import { once } from 'node:events'
import { createServer as createHttpsServer } from 'node:https'
import {
  createServer as createH2cServer,
  createSecureServer,
  type Http2Server,
  type Http2SecureServer,
  type Http2Session,
} from 'node:http2'
import type { Socket } from 'node:net'
import { ConfigError, createClient } from '@mooring/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { sleep } from '../support/async.js'
import { client } from '../support/fixtures.js'
import { urlOf } from '../support/http.js'
import { ca, server as serverCert } from '../support/tls.js'

interface Served {
  url: string
  sessions: number
  /** The most streams in flight at once. */
  peak: number
}

/** An h2 server (TLS, or h2c) answering every request after 50 ms with its HTTP version. */
async function h2Server(tls: boolean): Promise<Served> {
  const out: Served = { url: '', sessions: 0, peak: 0 }
  const sessions = new Set<Http2Session>()
  let inFlight = 0
  const handler = async (req: { httpVersion: string }, res: { end(s: string): void }) => {
    inFlight++
    if (inFlight > out.peak) out.peak = inFlight
    await sleep(50)
    inFlight--
    res.end(req.httpVersion)
  }
  const server: Http2Server | Http2SecureServer = tls
    ? createSecureServer({ ...serverCert }, handler)
    : createH2cServer(handler)
  server.on('session', (session: Http2Session) => {
    out.sessions++
    sessions.add(session)
    session.once('close', () => sessions.delete(session))
  })
  server.listen(0, '127.0.0.1')
  out.url = await urlOf(server, tls ? 'https' : 'http')
  onTestFinished(async () => {
    for (const s of sessions) s.destroy()
    server.close()
    await once(server, 'close')
  })
  return out
}

async function tenConcurrent(c: ReturnType<typeof client>): Promise<{ ms: number; versions: string[] }> {
  const started = performance.now()
  const versions = await Promise.all(
    Array.from({ length: 10 }, async (_, i) => (await c.get(`/slow/${i}`)).text()),
  )
  return { ms: performance.now() - started, versions }
}

describe('HTTP/2 that multiplexes by default', () => {
  it('http2: true: ten concurrent 50 ms calls share one session and take about 50 ms, not 500', async () => {
    const up = await h2Server(true)
    const c = client({ baseUrl: up.url, http2: true, tls: { ca } })
    const { ms, versions } = await tenConcurrent(c)
    expect(versions).toEqual(Array(10).fill('2.0'))
    expect(up.sessions).toBe(1)
    // All ten were in flight on the session at once; serialised they would take 500 ms.
    expect(up.peak).toBe(10)
    expect(ms).toBeLessThan(400)
  })

  it('limits.pipelining, when set, still rules the streams of a session', async () => {
    const up = await h2Server(true)
    const c = client({ baseUrl: up.url, http2: true, tls: { ca }, limits: { pipelining: 2 } })
    await tenConcurrent(c)
    // Two streams per session: the pool opens sessions for the rest, as it would connections.
    expect(up.sessions).toBeGreaterThanOrEqual(5)
  })

  it('a server that declines h2 gets no HTTP/1.1 pipelining from the h2 default', async () => {
    let inFlightMax = 0
    const perSocket = new Map<Socket, number>()
    const server = createHttpsServer(serverCert, (req, res) => {
      const socket = req.socket
      const n = (perSocket.get(socket) ?? 0) + 1
      perSocket.set(socket, n)
      if (n > inFlightMax) inFlightMax = n
      setTimeout(() => {
        perSocket.set(socket, (perSocket.get(socket) ?? 1) - 1)
        res.end(req.httpVersion)
      }, 20)
    })
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
    expect(inFlightMax).toBe(1)
  })

  it("http2: 'prior-knowledge' speaks h2c to an http: origin, multiplexed on one session", async () => {
    const up = await h2Server(false)
    const c = client({ baseUrl: up.url, http2: 'prior-knowledge' })
    const { ms, versions } = await tenConcurrent(c)
    expect(versions).toEqual(Array(10).fill('2.0'))
    expect(up.sessions).toBe(1)
    expect(up.peak).toBe(10)
    expect(ms).toBeLessThan(400)
  })

  it('a bad http2 value is a ConfigError naming it', () => {
    expect(() => createClient({ http2: 'yes' as never })).toThrow(ConfigError)
    expect(() => createClient({ http2: 'yes' as never })).toThrow(
      /http2: expected a boolean, or 'prior-knowledge'/,
    )
  })
})
