import { type RawBehaviour, type RawExchange, response } from './raw-upstream.js'

/**
 * Misbehaving upstreams, one per fault of the matrix. Each answers on the raw socket; timers they
 * start end with the socket, so a test that closes its upstream leaves none behind.
 */

/** Runs `fn` after `ms` unless the socket is gone by then. */
function later(socket: RawExchange['socket'], ms: number, fn: () => void): void {
  const timer = setTimeout(() => {
    if (!socket.destroyed) fn()
  }, ms)
  socket.once('close', () => clearTimeout(timer))
}

const HEAD_100 = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\n'

export const ok: RawBehaviour = ({ socket }) => {
  socket.write(response(200, 'ok'))
}

/** Reads the request, then RST: nothing of a response. */
export const resetBeforeResponse: RawBehaviour = (exchange) => exchange.reset()

/** Resets only the first request it gets; answers the rest. */
export const resetFirstOnly: RawBehaviour = (exchange) => {
  if (exchange.index === 1) exchange.reset()
  else ok(exchange)
}

/** Reads the request, then closes (FIN): an empty reply. */
export const closeBeforeResponse: RawBehaviour = ({ socket }) => {
  socket.end()
}

/** Half a status line and header, then RST. */
export const resetMidHeaders: RawBehaviour = (exchange) => {
  exchange.socket.write('HTTP/1.1 200 OK\r\ncontent-le')
  later(exchange.socket, 20, () => exchange.reset())
}

/** The head and 10 of 100 body bytes, then RST. */
export const resetMidBody: RawBehaviour = (exchange) => {
  exchange.socket.write(`${HEAD_100}0123456789`)
  later(exchange.socket, 20, () => exchange.reset())
}

/** Never answers. */
export const neverAnswer: RawBehaviour = () => {}

/** The head and 10 of 100 body bytes, then silence. */
export const stallBody: RawBehaviour = ({ socket }) => {
  socket.write(`${HEAD_100}0123456789`)
}

/** A body that keeps coming, a byte every 20 ms, each in time for the idle timeout, forever. */
export const trickleBody: RawBehaviour = ({ socket }) => {
  socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n')
  const timer = setInterval(() => socket.write('1\r\nx\r\n'), 20)
  socket.once('close', () => clearInterval(timer))
}

/** The head says 100 bytes, 10 come, then the server closes cleanly (FIN). */
export const shortBody: RawBehaviour = ({ socket }) => {
  socket.write(`${HEAD_100}0123456789`)
  later(socket, 20, () => socket.end())
}

/** A status line that is no status line. */
export const malformedStatusLine: RawBehaviour = ({ socket }) => {
  socket.write('HTTP/1.1 2x0 OK\r\ncontent-length: 0\r\n\r\n')
}

/** One 64 KiB header: four times undici's default maxHeaderSize. */
export const oversizedHeaders: RawBehaviour = ({ socket }) => {
  socket.write(`HTTP/1.1 200 OK\r\nx-padding: ${'a'.repeat(64 * 1024)}\r\ncontent-length: 0\r\n\r\n`)
}

/**
 * Serves the first request on each connection with keep-alive, and drops the connection when a second
 * arrives on it, before answering: a server closing an idle connection as the client reuses it.
 */
export function dropReused(how: 'close' | 'reset'): RawBehaviour {
  return (exchange) => {
    if (exchange.request.onConnection === 1) ok(exchange)
    else if (how === 'reset') exchange.reset()
    else exchange.socket.destroy()
  }
}

/** Answers, then closes the connection 10 ms later while it idles in the client's pool. */
export const closeWhenIdle: RawBehaviour = (exchange) => {
  ok(exchange)
  later(exchange.socket, 10, () => exchange.socket.end())
}

/** Always `status`, with `Retry-After` when given. */
export function storm(status: number, retryAfter?: string): RawBehaviour {
  const headers: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': retryAfter }
  return ({ socket }) => {
    socket.write(response(status, `status ${status}`, headers))
  }
}

/** `status` for the first request, 200 after. */
export function statusOnce(status: number): RawBehaviour {
  return (exchange) => {
    if (exchange.index === 1) exchange.socket.write(response(status, `status ${status}`))
    else ok(exchange)
  }
}

/** 64 KiB announced by content-length. */
export const largeBody: RawBehaviour = ({ socket }) => {
  socket.write(response(200, 'x'.repeat(64 * 1024)))
}

/** A chunked body with no length, 16 KiB at a time, up to 8 MiB. */
export const largeChunkedBody: RawBehaviour = ({ socket }) => {
  socket.write(
    'HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n\r\n',
  )
  const chunk = `4000\r\n${'x'.repeat(0x4000)}\r\n`
  let sent = 0
  const timer = setInterval(() => {
    if (sent >= 8 * 1024 * 1024) {
      clearInterval(timer)
      socket.end('0\r\n\r\n')
      return
    }
    sent += 0x4000
    socket.write(chunk)
  }, 1)
  socket.once('close', () => clearInterval(timer))
}

/** /a redirects to /b and /b to /a. */
export const redirectLoop: RawBehaviour = ({ socket, request }) => {
  const next = request.target.startsWith('/a') ? '/b' : '/a'
  socket.write(response(302, '', { location: next }))
}
