/** What a failure says about delivery, read from undici's and Node's error codes: pure, no I/O. */

/**
 * HTTP/2 streams the server did not process, so safe to send again whatever the method (RFC 9113
 * §8.7): refused with RST_STREAM(REFUSED_STREAM), which is also how a stream past a GOAWAY's
 * last-stream-id is closed; or never opened, the session having received a GOAWAY
 * (ERR_HTTP2_GOAWAY_SESSION), been destroyed (ERR_HTTP2_INVALID_SESSION), or closed while the stream
 * waited for its id (ERR_HTTP2_STREAM_CANCEL, which Node gives only to pending streams).
 */
export const H2_NOT_PROCESSED = [
  'NGHTTP2_REFUSED_STREAM',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_INVALID_SESSION',
  'ERR_HTTP2_STREAM_CANCEL',
] as const

/** Codes that mean nothing of the request reached the server's application. */
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
  ...H2_NOT_PROCESSED,
])

export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ERR_HTTP2_STREAM_ERROR') {
    // Node names the stream's RST_STREAM code only in the message: `… NGHTTP2_REFUSED_STREAM`.
    const message = (err as { message?: unknown }).message
    if (typeof message === 'string' && message.endsWith('NGHTTP2_REFUSED_STREAM'))
      return 'NGHTTP2_REFUSED_STREAM'
  }
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
