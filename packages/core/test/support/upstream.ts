import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net'
import { waitFor } from './async.js'
import { urlOf } from './http.js'

// Their home is async.ts; tests that import them from here keep working.
export { sleep, waitFor } from './async.js'

export interface Upstream {
  server: Server
  /** http://127.0.0.1:PORT */
  url: string
  /** Connections accepted since start. */
  connections: number
  /** Connections open now. */
  readonly open: number
  /** The most connections that were open at once. */
  readonly peakOpen: number
  /** Requests received, in order. */
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }>
  /** Resolves once the number of open connections is `count`, or rejects after `timeoutMs`. */
  waitForOpen(count: number, timeoutMs?: number): Promise<void>
  /** Closes every connection and the server; again, the same promise. */
  close(): Promise<void>
}

/** What it returns is ignored, so `(req, res) => res.end('ok')` will do; a rejection answers 500. */
export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse) => unknown

/** A real node:http server on 127.0.0.1 that counts connections and records requests. */
export async function startUpstream(handler: UpstreamHandler = echo): Promise<Upstream> {
  const sockets = new Set<Socket>()
  let peakOpen = 0
  const server = createServer((req, res) => {
    upstream.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    Promise.resolve(handler(req, res)).catch((err) => {
      res.statusCode = 500
      res.end(String(err))
    })
  })
  server.keepAliveTimeout = 30_000
  server.on('connection', (socket: Socket) => {
    upstream.connections++
    sockets.add(socket)
    if (sockets.size > peakOpen) peakOpen = sockets.size
    socket.once('close', () => sockets.delete(socket))
  })
  server.listen(0, '127.0.0.1')
  const url = await urlOf(server)
  let closing: Promise<void> | undefined
  const upstream: Upstream = {
    server,
    url,
    connections: 0,
    get open() {
      return sockets.size
    },
    get peakOpen() {
      return peakOpen
    },
    requests: [],
    waitForOpen(count, timeoutMs = 2_000) {
      return waitFor(
        () => sockets.size === count,
        () => `${count} open connections, have ${sockets.size}`,
        timeoutMs,
      )
    },
    close() {
      closing ??= (async () => {
        for (const socket of sockets) socket.destroy()
        server.close()
        await once(server, 'close')
      })()
      return closing
    },
  }
  return upstream
}

/** Answers with the request as JSON: its method, url, headers and body (what `startUpstream` does by default). */
export function echo(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    res.setHeader('content-type', 'application/json')
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }),
    )
  })
}

export interface HangingUpstream extends Upstream {
  /** Requests to `/hang…`, which are never answered: each settles when its connection closes. */
  hung: Array<{ url: string; connectionClosed: Promise<void> }>
  /** Resolves when the `n`th (1-based) hanging request has arrived, or rejects after 2 s. */
  hungCount(n: number): Promise<void>
}

/**
 * An upstream that never answers `/hang…` (to hold a call in flight) and answers anything else with
 * `answer`.
 */
export async function startHangingUpstream(answer: UpstreamHandler = echo): Promise<HangingUpstream> {
  const hung: HangingUpstream['hung'] = []
  const upstream = await startUpstream((req, res) => {
    if (req.url?.startsWith('/hang')) {
      hung.push({ url: req.url, connectionClosed: once(req.socket, 'close').then(() => undefined) })
      return
    }
    return answer(req, res)
  })
  return Object.assign(upstream, {
    hung,
    hungCount(n: number) {
      return waitFor(
        () => hung.length >= n,
        () => `${n} hanging requests, have ${hung.length}`,
      )
    },
  })
}

export interface SilentServer {
  /** 127.0.0.1 port */
  port: number
  /** Connections accepted since start. */
  connections: number
  /** Connections open now. */
  readonly open: number
  close(): Promise<void>
}

/**
 * A raw TCP server on 127.0.0.1 that accepts connections and never writes a byte: a TLS client
 * waits on its handshake forever, an HTTP client on its response head.
 */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>()
  const server = createNetServer((socket) => {
    silent.connections++
    sockets.add(socket)
    // Read and discard, so the client's FIN is seen and the socket closes when the client lets go.
    socket.resume()
    socket.on('error', () => {})
    socket.once('close', () => sockets.delete(socket))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const silent: SilentServer = {
    port: (server.address() as AddressInfo).port,
    connections: 0,
    get open() {
      return sockets.size
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
  return silent
}
