import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect as netConnect, type Socket } from 'node:net'
import { TimeoutError } from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { client, closeWhenDone, upstream } from './support/fixtures.js'
import { urlOf } from './support/http.js'

/** A tiny HTTP CONNECT proxy on 127.0.0.1 (node:http): it tunnels bytes, or, with `hang`, never answers. */
async function startProxy(hang = false) {
  const sockets = new Set<Socket>()
  const tunnels: string[] = []
  const server = createServer((_req, res) => {
    res.statusCode = 405
    res.end()
  })
  server.on('connect', (req: IncomingMessage, downstream: Socket, head: Buffer) => {
    sockets.add(downstream)
    tunnels.push(req.url ?? '')
    if (hang) return
    const [host, port] = (req.url ?? '').split(':')
    const up = netConnect(Number(port), host, () => {
      downstream.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) up.write(head)
      up.pipe(downstream)
      downstream.pipe(up)
    })
    sockets.add(up)
    // One side gone, the other goes too: what a proxy does when the upstream drops a connection.
    up.on('close', () => downstream.destroy())
    downstream.on('close', () => up.destroy())
    up.on('error', () => downstream.destroy())
    downstream.on('error', () => up.destroy())
  })
  server.listen(0, '127.0.0.1')
  const url = await urlOf(server)
  return closeWhenDone({
    url,
    tunnels,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  })
}

/** Answers the first request on each connection, drops the connection when a second one comes on it. */
function dropReused(): (req: IncomingMessage, res: ServerResponse) => void {
  const served = new WeakMap<Socket, number>()
  return (req, res) => {
    const n = (served.get(req.socket) ?? 0) + 1
    served.set(req.socket, n)
    if (n > 1) {
      req.socket.destroy()
      return
    }
    res.end('ok')
  }
}

describe('behind an HTTP proxy (ProxyAgent)', () => {
  it('replays a call once when the tunnelled keep-alive connection was dropped, retries off', async () => {
    const up = await upstream(dropReused())
    const proxy = await startProxy()
    const http = client({ baseUrl: up.url, proxy: proxy.url, limits: { connections: 1 }, retry: false })
    const attempts: number[] = []
    for (let i = 0; i < 5; i++) {
      const res = await http.get(`/item/${i}`)
      expect(await res.text()).toBe('ok')
      attempts.push(res.attempts)
      if (res.attempts === 2)
        expect(res.retries).toEqual([{ attempt: 1, reason: 'stale-connection', delay: 0 }])
    }
    expect(attempts).toEqual([1, 2, 2, 2, 2])
    // Every connection went through the proxy: one tunnel per fresh connection.
    expect(proxy.tunnels.length).toBe(5)
    expect(new Set(proxy.tunnels)).toEqual(new Set([new URL(up.url).host]))
  })

  it('does not replay on a fresh tunnel that fails before any answer (the CONNECT bytes do not count)', async () => {
    const up = await upstream((req) => req.socket.destroy())
    const proxy = await startProxy()
    const http = client({ baseUrl: up.url, proxy: proxy.url, retry: false })
    const error = await http.get('/drop').catch((e: unknown) => e)
    expect(error).toMatchObject({ attempts: 1 })
    expect(proxy.tunnels.length).toBe(1)
  })

  it('keeps the precise connect timeout: a proxy that never answers CONNECT fails as a connect timeout', async () => {
    const proxy = await startProxy(true)
    const http = client({
      baseUrl: 'http://127.0.0.1:9',
      proxy: proxy.url,
      retry: false,
      timeout: { connect: 150, total: 10_000 },
    })
    const error = await http.get('/').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error).toMatchObject({ phase: 'connect' })
    expect(proxy.tunnels).toEqual(['127.0.0.1:9'])
    // undici's ProxyAgent gives its CONNECT request no timeout of its own, and a pool closes only
    // once it is answered: the proxy goes first here, so the client's close is not left waiting.
    await proxy.close()
  })
})
