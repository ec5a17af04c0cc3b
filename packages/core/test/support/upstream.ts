import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net'

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
  close(): Promise<void>
}

/** What it returns is ignored, so `(req, res) => res.end('ok')` will do; a rejection answers 500. */
export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse) => unknown

/** A real node:http server on 127.0.0.1 that counts connections and records requests. */
export async function startUpstream(handler: UpstreamHandler = defaultHandler): Promise<Upstream> {
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
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const upstream: Upstream = {
    server,
    url: `http://127.0.0.1:${port}`,
    connections: 0,
    get open() {
      return sockets.size
    },
    get peakOpen() {
      return peakOpen
    },
    requests: [],
    async waitForOpen(count, timeoutMs = 2_000) {
      const until = Date.now() + timeoutMs
      while (sockets.size !== count) {
        if (Date.now() > until) throw new Error(`expected ${count} open connections, have ${sockets.size}`)
        await new Promise((r) => setTimeout(r, 10))
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
  return upstream
}

function defaultHandler(req: IncomingMessage, res: ServerResponse): void {
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

/** Polls `predicate` every 10 ms until it holds; rejects with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(10)
  }
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

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
