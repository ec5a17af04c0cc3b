import { brand, ERROR_BRAND, isBranded } from './brand.js'
import { redactResponseHeaders, redactUrl } from './observe/redact.js'
import type { MooringResponse } from './call/response.js'

/** Why a request was retried or replayed: `status:503`, `ECONNRESET`, `stale-connection`, `timeout:headers`. */
export type RetryReason = string

export interface RetryRecord {
  /** 1-based number of the attempt that failed and led to this retry. */
  attempt: number
  reason: RetryReason
  /** Milliseconds waited before the next attempt. */
  delay: number
}

export type TimeoutPhase = 'connect' | 'headers' | 'body' | 'pool' | 'total'

/** Whether any byte of the request may have reached the server. */
export type Delivery = 'not-sent' | 'maybe'

/** The request an error is about. Named apart from the DOM's `RequestInfo`, which it is not. */
export interface MooringRequestInfo {
  method: string
  /** The URL with credentials and secret-looking query values redacted. */
  url: string
}

export interface MooringErrorOptions {
  cause?: unknown
  request?: MooringRequestInfo
}

/** Base of every error Mooring throws; `code` is stable across versions. */
export class MooringError extends Error {
  readonly code: string
  method?: string
  url?: string
  /** How many attempts the call made before failing (0 when it failed before sending). */
  attempts = 0
  retries: RetryRecord[] = []

  constructor(code: string, message: string, options?: MooringErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    if (options?.request) {
      this.method = options.request.method
      this.url = options.request.url
    }
  }

  /** True for an error of this class from any copy of @mooring/core, so checks hold across copies. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: inherited by every subclass, `this` is the class asked about
    return isBranded(this, ERROR_BRAND, value)
  }
}
brand(MooringError, ERROR_BRAND)

/** A client, scope or request option is wrong; `option` names its path (`timeout.connect`). */
export class ConfigError extends MooringError {
  readonly option: string
  constructor(option: string, value: unknown, expected: string) {
    super('MOORING_CONFIG', `${option}: expected ${expected}, got ${describeValue(option, value)}`)
    this.option = option
  }
}

export class TimeoutError extends MooringError {
  readonly phase: TimeoutPhase
  readonly timeout: number
  readonly delivery: Delivery
  constructor(
    phase: TimeoutPhase,
    timeout: number,
    request: MooringRequestInfo,
    delivery: Delivery,
    cause?: unknown,
  ) {
    super('MOORING_TIMEOUT', `${request.method} ${request.url}: ${phase} timeout after ${timeout} ms`, {
      request,
      cause,
    })
    this.phase = phase
    this.timeout = timeout
    this.delivery = delivery
  }
}

export class ConnectionError extends MooringError {
  /** The undici or system code: `ECONNRESET`, `ECONNREFUSED`, `UND_ERR_SOCKET`, … */
  readonly causeCode: string
  readonly delivery: Delivery
  constructor(causeCode: string, delivery: Delivery, request: MooringRequestInfo, cause?: unknown) {
    super('MOORING_CONNECTION', `${request.method} ${request.url}: connection failed (${causeCode})`, {
      request,
      cause,
    })
    this.causeCode = causeCode
    this.delivery = delivery
  }
}

export class HttpStatusError extends MooringError {
  readonly status: number
  /**
   * The response, body unread. Not enumerable, so neither JSON.stringify nor util.inspect walks into
   * its headers: `headers` below is what they show.
   */
  declare readonly response: MooringResponse
  /** The response headers fit for logs: the safe ones (content-type, retry-after, …), the rest `[redacted]`. */
  readonly headers: Record<string, string | string[]>
  /** What the server's `Retry-After` asked for, in ms, when it sent one (and it was not honoured). */
  readonly retryAfter: number | undefined
  constructor(response: MooringResponse) {
    super('MOORING_HTTP_STATUS', `${response.method} ${response.url}: status ${response.status}`, {
      request: response,
    })
    this.status = response.status
    Object.defineProperty(this, 'response', { value: response, enumerable: false })
    this.headers = redactResponseHeaders(response.headers, response._shownQuery)
    this.retryAfter = response.retryAfter
    this.attempts = response.attempts
    this.retries = response.retries
  }
}

export class ClientClosedError extends MooringError {
  constructor(what: 'client' | 'scope' = 'client', request?: MooringRequestInfo) {
    super(
      'MOORING_CLIENT_CLOSED',
      request ? `${request.method} ${request.url}: the ${what} is closed` : `the ${what} is closed`,
      { request },
    )
  }
}

/** A request aborted by its signal, its scope closing or its client being destroyed; `cause` says which. */
export class AbortError extends MooringError {
  constructor(request: MooringRequestInfo, cause: unknown) {
    super('MOORING_ABORTED', `${request.method} ${request.url}: aborted (${abortCauseText(cause)})`, {
      request,
      cause,
    })
  }
}

/** The origin's circuit breaker is open: the call failed fast, nothing was sent. */
export class CircuitOpenError extends MooringError {
  readonly delivery: Delivery = 'not-sent'
  constructor(request: MooringRequestInfo) {
    super('MOORING_CIRCUIT_OPEN', `${request.method} ${request.url}: the circuit to this origin is open`, {
      request,
    })
  }
}

/** The response body is larger than `maxResponseSize`; it was not buffered past the limit. */
/**
 * The client's own rate limit (`rateLimit`) would have the call wait past its deadline: it fails
 * at once, before anything is sent, with the wait it would have needed.
 */
export class RateLimitedError extends MooringError {
  /** Milliseconds the call would have waited for its turn. */
  readonly wait: number
  readonly delivery: Delivery = 'not-sent'
  constructor(request: MooringRequestInfo, wait: number) {
    super(
      'MOORING_RATE_LIMITED',
      `${request.method} ${request.url}: the client's rate limit would hold the call ${Math.ceil(wait)} ms, past its deadline`,
      { request },
    )
    this.wait = wait
  }
}

/** The body says it is compressed (`content-encoding`) but does not decode as such. */
export class ResponseDecodeError extends MooringError {
  constructor(request: MooringRequestInfo, cause: unknown) {
    super(
      'MOORING_RESPONSE_DECODE',
      `${request.method} ${request.url}: the response body does not decode as its content-encoding says (${(cause as Error)?.message ?? 'decode error'})`,
      { request, cause },
    )
  }
}

export class ResponseTooLargeError extends MooringError {
  readonly limit: number
  constructor(request: MooringRequestInfo, limit: number) {
    super(
      'MOORING_RESPONSE_TOO_LARGE',
      `${request.method} ${request.url}: response body over ${limit} bytes`,
      {
        request,
      },
    )
    this.limit = limit
  }
}

/** More redirects than `followRedirects` allows (a loop, most likely). */
export class TooManyRedirectsError extends MooringError {
  readonly limit: number
  constructor(request: MooringRequestInfo, limit: number) {
    super('MOORING_TOO_MANY_REDIRECTS', `${request.method} ${request.url}: more than ${limit} redirects`, {
      request,
    })
    this.limit = limit
  }
}

/** The request was refused before any byte was sent: a CR/LF in a header, a path that leaves the base origin. */
export class RequestRejectedError extends MooringError {
  constructor(request: MooringRequestInfo, reason: string) {
    super('MOORING_REQUEST_REJECTED', `${request.method} ${request.url}: ${reason}`, { request })
  }
}

/** Why a request's calls were aborted: the inbound client went away before its response was sent. */
export class DownstreamClosedError extends Error {
  override name = 'DownstreamClosedError'
  constructor() {
    super('the downstream connection closed before the response was sent')
  }

  /** True for this error from any copy of @mooring/core. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(DownstreamClosedError, ERROR_BRAND, value)
  }
}
brand(DownstreamClosedError, ERROR_BRAND)

/** Internal reasons a request is aborted with; surfaced as the `cause` of an `AbortError`. */
export class ScopeClosedReason extends Error {
  override name = 'ScopeClosed'
  constructor(what: string) {
    super(`the ${what} was closed while the request was in flight`)
  }
}

function abortCauseText(cause: unknown): string {
  if (cause instanceof Error) return cause.message
  if (typeof cause === 'string') return cause
  return 'signal aborted'
}

// A request body (`body`, `json`) may hold anything, so it is never shown either.
const SECRET_OPTION =
  /(auth|token|secret|passw|pwd|key|cookie|cert|ca$|tls\.|bearer|credential|jwt|session|private|^body$|^json$)/i
/** A string that reads like an Authorization value, whatever option it was given under. */
const CREDENTIAL_VALUE = /^(bearer|basic|digest|token)\s/i

/** Describes a wrong option value for a message, never printing what may be a secret. */
function describeValue(option: string, value: unknown): string {
  if (value === null) return 'null'
  const type = Array.isArray(value) ? 'array' : typeof value
  const aType = `${type === 'array' || type === 'object' || type === 'undefined' ? 'an' : 'a'} ${type}`
  if (SECRET_OPTION.test(option) || option.startsWith('header')) return aType
  if (type === 'string') {
    if (CREDENTIAL_VALUE.test(value as string)) return 'a string'
    // A URL given under any (even a misspelled) option may carry credentials or a token.
    const s = redactUrl(value as string)
    return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s)
  }
  if (type === 'number' || type === 'boolean' || type === 'undefined' || type === 'bigint')
    return String(value)
  if (type === 'function') return 'a function'
  return aType
}
