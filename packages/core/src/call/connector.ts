import type { Socket } from 'node:net'
import { type buildConnector, errors } from 'undici'
import { unrefTimer } from '../timers.js'
import { errorCode } from '../policy/error-kind.js'

const STALE_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'])

/**
 * True when a request failed on a keep-alive connection that had already served a response, the
 * signature of a server closing an idle connection just as the client reused it (undici #3492,
 * #2412; node #47130). undici's SocketError carries the socket's byte counts; for raw socket errors
 * (ECONNRESET, EPIPE) the connector below records them on the error.
 */
export function isStaleConnectionError(err: unknown): boolean {
  if (!STALE_CODES.has(errorCode(err))) return false
  const e = err as { socket?: { bytesRead?: number }; bytesRead?: number; bytesReadBeforeRequest?: number }
  // Known when the connector saw the request written: a response was read before it and nothing
  // since. Part of this response having arrived means the server failed mid-answer on a fresh or
  // busy connection, not that it dropped an idle one.
  // Counted from the moment the connector handed the socket over (a proxy's CONNECT answer is not
  // a response): the stamped count, not the socket's own, which undici's SocketError carries.
  if (e.bytesReadBeforeRequest !== undefined)
    return e.bytesReadBeforeRequest > 0 && e.bytesRead === e.bytesReadBeforeRequest
  return (e.socket?.bytesRead ?? e.bytesRead ?? 0) > 0
}

type Connect = (opts: buildConnector.Options, callback: buildConnector.Callback) => unknown

/**
 * A connector with two additions: a precise connect timeout, and a socket error stamped with how
 * many bytes the socket had read, so a reset on a reused connection can be told from one on a fresh
 * connection. Over any connector: undici's (`buildConnector`), or the tunnelling one a ProxyAgent gives
 * its pools (an async function whose socket has already read the proxy's CONNECT answer: bytes
 * are counted from the moment the socket is handed over).
 */
export function staleAware(connect: Connect, timeout: number): buildConnector.connector {
  return (opts, callback) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    let done = false
    const finish = (...args: [null, Socket] | [Error, null]): void => {
      const socket = args[1]
      if (done) {
        // Answered after the timeout already failed the attempt: nobody will use it.
        socket?.destroy()
        return
      }
      done = true
      if (timer !== undefined) clearTimeout(timer)
      if (socket != null) stampErrors(socket)
      callback(...args)
    }
    const pending = connect(opts, finish as buildConnector.Callback)
    // undici keeps the connect timeout on its coarse clock (up to a second late); this timer, one
    // per connection, keeps it to the millisecond. undici's stays as the backstop.
    if (timeout > 0) {
      timer = setTimeout(() => {
        const socket = pending as Socket | undefined
        if (socket !== undefined && typeof socket?.destroy === 'function')
          socket.destroy(new errors.ConnectTimeoutError())
        else finish(new errors.ConnectTimeoutError(), null)
      }, timeout)
      unrefTimer(timer)
    }
  }
}

/**
 * Records what the socket had read when undici last wrote a request on it: anything read since is
 * (part of) that request's response. HTTP/2 writes below JS, so there it stays undefined.
 */
function stampErrors(socket: Socket): void {
  const start = socket.bytesRead
  let readBeforeRequest: number | undefined
  const write = socket.write
  socket.write = function (this: Socket, ...args: unknown[]): boolean {
    readBeforeRequest = this.bytesRead - start
    return (write as (...a: unknown[]) => boolean).apply(this, args)
  } as Socket['write']
  socket.prependListener(
    'error',
    (error: Error & { bytesRead?: number; bytesReadBeforeRequest?: number }) => {
      if (error !== null && typeof error === 'object' && error.bytesRead === undefined) {
        error.bytesRead = socket.bytesRead - start
        error.bytesReadBeforeRequest = readBeforeRequest
      }
    },
  )
}
