import type { Socket } from 'node:net'
import { buildConnector, errors } from 'undici'
import { unrefTimer } from '../timers.js'
import { errorCode } from './map-error.js'

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
  const read = e.socket?.bytesRead ?? e.bytesRead ?? 0
  // Known when the connector saw the request written: a response was read before it and nothing
  // since. Part of this response having arrived means the server failed mid-answer on a fresh or
  // busy connection, not that it dropped an idle one.
  if (e.bytesReadBeforeRequest !== undefined)
    return e.bytesReadBeforeRequest > 0 && read === e.bytesReadBeforeRequest
  return read > 0
}

/**
 * undici's own connector, with two additions: a precise connect timeout, and a socket error stamped with how many bytes the
 * socket had read, so a reset on a reused connection can be told from one on a fresh connection.
 */
export function staleAwareConnector(options: buildConnector.BuildOptions): buildConnector.connector {
  const connect = buildConnector(options) as (
    opts: buildConnector.Options,
    callback: buildConnector.Callback,
  ) => Socket | undefined
  const timeout = options.timeout ?? 0
  return (opts, callback) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const pending = connect(opts, (...args: [null, Socket] | [Error, null]) => {
      if (timer !== undefined) clearTimeout(timer)
      const socket = args[1]
      if (socket != null) {
        // What the socket had read when undici last wrote a request on it: anything read since is
        // (part of) that request's response. HTTP/2 writes below JS, so there it stays undefined.
        let readBeforeRequest: number | undefined
        const write = socket.write
        socket.write = function (this: Socket, ...args: unknown[]): boolean {
          readBeforeRequest = this.bytesRead
          return (write as (...a: unknown[]) => boolean).apply(this, args)
        } as Socket['write']
        socket.prependListener(
          'error',
          (error: Error & { bytesRead?: number; bytesReadBeforeRequest?: number }) => {
            if (error !== null && typeof error === 'object' && error.bytesRead === undefined) {
              error.bytesRead = socket.bytesRead
              error.bytesReadBeforeRequest = readBeforeRequest
            }
          },
        )
      }
      callback(...args)
    })
    // undici keeps the connect timeout on its coarse clock (up to a second late); this timer, one
    // per connection, keeps it to the millisecond. undici's stays as the backstop.
    if (timeout > 0 && pending !== undefined) {
      timer = setTimeout(() => pending.destroy(new errors.ConnectTimeoutError()), timeout)
      unrefTimer(timer)
    }
  }
}
