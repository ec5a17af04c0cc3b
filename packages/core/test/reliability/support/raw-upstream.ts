import { once } from 'node:events'
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type TlsOptions } from 'node:tls'

/** One HTTP/1.1 request as it arrived on the wire. */
export interface RawRequest {
  method: string
  target: string
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>
  body: Buffer
  /** 1-based number of the connection it came on, in accept order. */
  connection: number
  /** 1-based number of the request on its connection. */
  onConnection: number
}

/** A parsed request and the socket to answer (or misbehave) on. */
export interface RawExchange {
  request: RawRequest
  socket: Socket
  /** 1-based number of the request on this server. */
  index: number
  /** Ends the connection with a TCP RST (ECONNRESET on the client), over TLS too. */
  reset(): void
}

/** Answers one request by writing whatever bytes it likes to the socket, or none. */
export type RawBehaviour = (exchange: RawExchange) => void

export interface RawUpstream {
  /** http(s)://127.0.0.1:PORT */
  url: string
  port: number
  /** Connections accepted since start (TCP, before any TLS handshake). */
  connections: number
  /** TCP connections open now. */
  readonly open: number
  requests: RawRequest[]
  waitForOpen(count: number, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

const HEAD_END = Buffer.from('\r\n\r\n')
/** A request head larger than this is not a client of ours: drop the connection. */
const MAX_HEAD = 64 * 1024

/**
 * A server on 127.0.0.1 that parses HTTP/1.1 requests itself and hands each to `behaviour` with the
 * raw socket, so a test can answer in ways node:http never would: a reset mid-headers, a body shorter
 * than its content-length, a broken status line. With `tls`, the same over TLS.
 */
export async function startRawUpstream(
  behaviour: RawBehaviour,
  options: { tls?: TlsOptions } = {},
): Promise<RawUpstream> {
  const sockets = new Set<Socket>()
  const onConnection = (socket: Socket): void => {
    upstream.connections++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.once('close', () => sockets.delete(socket))
  }
  const serve = (socket: Socket, connection: number): void => {
    socket.on('error', () => {})
    readRequests(socket, connection, (request) => {
      upstream.requests.push(request)
      behaviour({ request, socket, index: upstream.requests.length, reset: () => resetConnection(socket) })
    })
  }
  let server: Server
  if (options.tls !== undefined) {
    const tlsServer = createTlsServer(options.tls, (socket) => serve(socket, upstream.connections))
    // A client that refuses the certificate hangs up mid-handshake: expected here, not a failure.
    tlsServer.on('tlsClientError', () => {})
    server = tlsServer
  } else {
    server = createNetServer((socket) => serve(socket, upstream.connections))
  }
  // Counted on the TCP socket, so connections that never finish a TLS handshake are seen too.
  server.prependListener('connection', onConnection)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  const upstream: RawUpstream = {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    port,
    connections: 0,
    get open() {
      return sockets.size
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

/**
 * A TLS socket cannot be reset itself (resetAndDestroy needs a TCP handle): its TCP socket is
 * node's `_parent`, the only way to it.
 */
function resetConnection(socket: Socket): void {
  const tcp = (socket as Socket & { _parent?: Socket | null })._parent ?? socket
  if (!tcp.destroyed) tcp.resetAndDestroy()
  socket.destroy()
}

/** Splits what arrives on `socket` into requests (content-length or chunked bodies). */
function readRequests(socket: Socket, connection: number, onRequest: (request: RawRequest) => void): void {
  let buffered = Buffer.alloc(0)
  let count = 0
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk])
    for (;;) {
      const parsed = parseRequest(buffered)
      if (parsed === 'incomplete') {
        if (buffered.length > MAX_HEAD && buffered.indexOf(HEAD_END) === -1) socket.destroy()
        return
      }
      if (parsed === 'invalid') {
        socket.destroy()
        return
      }
      buffered = buffered.subarray(parsed.consumed)
      onRequest({ ...parsed.request, connection, onConnection: ++count })
      if (socket.destroyed) return
    }
  })
}

type Parsed =
  | { request: Omit<RawRequest, 'connection' | 'onConnection'>; consumed: number }
  | 'incomplete'
  | 'invalid'

function parseRequest(data: Buffer): Parsed {
  const headEnd = data.indexOf(HEAD_END)
  if (headEnd === -1) return 'incomplete'
  const [requestLine, ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n')
  const [method, target] = requestLine.split(' ')
  if (method === undefined || target === undefined) return 'invalid'
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon <= 0) return 'invalid'
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  const bodyStart = headEnd + HEAD_END.length
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const chunked = readChunked(data, bodyStart)
    if (chunked === 'incomplete' || chunked === 'invalid') return chunked
    return { request: { method, target, headers, body: chunked.body }, consumed: chunked.end }
  }
  const length = Number(headers['content-length'] ?? 0)
  if (!Number.isInteger(length) || length < 0) return 'invalid'
  if (data.length < bodyStart + length) return 'incomplete'
  return {
    request: { method, target, headers, body: Buffer.from(data.subarray(bodyStart, bodyStart + length)) },
    consumed: bodyStart + length,
  }
}

function readChunked(data: Buffer, start: number): { body: Buffer; end: number } | 'incomplete' | 'invalid' {
  const parts: Buffer[] = []
  let at = start
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at)
    if (lineEnd === -1) return 'incomplete'
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16)
    if (!Number.isInteger(size) || size < 0) return 'invalid'
    const chunkStart = lineEnd + 2
    if (size === 0) {
      // No trailers from our clients: the last chunk is followed by the final CRLF.
      if (data.length < chunkStart + 2) return 'incomplete'
      return { body: Buffer.concat(parts), end: chunkStart + 2 }
    }
    if (data.length < chunkStart + size + 2) return 'incomplete'
    parts.push(data.subarray(chunkStart, chunkStart + size))
    at = chunkStart + size + 2
  }
}

/** A complete keep-alive response. */
export function response(
  status: number,
  body = '',
  headers: Record<string, string | number> = {},
  reason = 'Whatever',
): string {
  const lines = [`HTTP/1.1 ${status} ${reason}`, `content-length: ${Buffer.byteLength(body)}`]
  for (const name in headers) lines.push(`${name}: ${headers[name]}`)
  return `${lines.join('\r\n')}\r\n\r\n${body}`
}
