import {
  ConnectionError,
  type Delivery,
  MooringError,
  RequestRejectedError,
  type RequestInfo,
  TimeoutError,
} from './errors.js'
import type { NormalizedTimeouts } from './options.js'

/** Codes that mean the connection was never made, so nothing was sent. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
])

export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') return code
  // undici 7 builds its HTTP parser error without a code.
  if ((err as { name?: unknown } | null)?.name === 'HTTPParserError') return 'UND_ERR_HTTP_PARSER'
  return 'UNKNOWN'
}

/**
 * undici refused the request itself, before any connection: an argument it will not send (a header
 * the headers check did not foresee). The origin saw nothing, so it is no failure of the origin.
 */
export function isLocalRefusal(err: unknown): boolean {
  const code = errorCode(err)
  return code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED'
}

/** Nothing of the request can have reached the server: no connection was made, or none was used. */
export function wasNotSent(err: unknown, started: boolean): boolean {
  return !started || NOT_SENT.has(errorCode(err))
}

/**
 * Turns what undici or a transport failed with into Mooring's typed errors. `started` says whether
 * the request reached a connection (undici called onRequestStart): before that nothing was sent.
 */
export function mapError(
  err: unknown,
  request: RequestInfo,
  started: boolean,
  timeouts: NormalizedTimeouts,
): MooringError {
  if (err instanceof MooringError) return err
  if (isLocalRefusal(err)) {
    // undici's messages name the argument (`invalid upgrade header`), never a header's value.
    return new RequestRejectedError(request, `undici refused the request (${(err as Error).message})`)
  }
  const code = errorCode(err)
  const delivery: Delivery = wasNotSent(err, started) ? 'not-sent' : 'maybe'
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new TimeoutError('connect', timeouts.connect, request, 'not-sent', err)
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new TimeoutError('headers', timeouts.headers, request, delivery, err)
    case 'UND_ERR_BODY_TIMEOUT':
      return new TimeoutError('body', timeouts.body, request, delivery, err)
    default:
      return new ConnectionError(code, delivery, request, err)
  }
}
