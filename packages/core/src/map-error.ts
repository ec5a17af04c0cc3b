import {
  ConnectionError,
  type Delivery,
  MooringError,
  type MooringRequestInfo,
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
  request: MooringRequestInfo,
  started: boolean,
  timeouts: NormalizedTimeouts,
): MooringError {
  if (err instanceof MooringError) return err
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
