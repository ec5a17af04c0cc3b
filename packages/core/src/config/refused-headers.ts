/**
 * Headers that belong to the transport, not to a request: undici refuses them at dispatch
 * (`InvalidArgumentError`, or `NotSupportedError` for `expect`), and HTTP/2 forbids the
 * connection-specific ones. Refused where headers are validated, so such a request never reaches a
 * connection and never counts as a failure of the origin.
 */
const TRANSPORT_OWNED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect'])

const DECIMAL = /^\d+$/

/**
 * The reason undici would refuse header `name` (lower-case) with `value`, or undefined. Names only,
 * never the value: it may be a secret.
 */
export function refusedHeaderProblem(name: string, value: unknown): string | undefined {
  if (isTransportOwned(name))
    return `header ${JSON.stringify(name)} is managed by the connection and cannot be set`
  if (name === 'host' || name === 'content-length') {
    if (Array.isArray(value)) return `header ${JSON.stringify(name)} may be given only once`
    if (name === 'content-length' && !(typeof value === 'string' ? DECIMAL.test(value) : isByteCount(value)))
      return 'header "content-length" must be a whole number of bytes'
  }
  return undefined
}

function isByteCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/** True for a (lower-case) header name the connection manages, which no request may set. */
export function isTransportOwned(name: string): boolean {
  return TRANSPORT_OWNED.has(name)
}
