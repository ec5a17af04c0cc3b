import { ConfigError, type TimeoutPhase } from '../errors.js'
import { H2_NOT_PROCESSED } from './error-kind.js'
import { expectMs, expectObject } from '../config/validate.js'
import { frozenSet } from '../frozen.js'

/** When and how a failed attempt is tried again. `retry: false` turns retries off (stale-connection replays stay). */
export interface RetryOptions {
  /** Retries after the first attempt. Default 2 (3 attempts). */
  limit?: number
  /** Methods retried without an Idempotency-Key. Default GET, HEAD, OPTIONS, PUT, DELETE, TRACE. */
  methods?: readonly string[]
  /** Default 408, 429, 500, 502, 503, 504. */
  statuses?: readonly number[]
  /**
   * Connection errors before a response. Default ECONNRESET, ECONNREFUSED, EPIPE, UND_ERR_SOCKET,
   * and the HTTP/2 streams the server did not process (NGHTTP2_REFUSED_STREAM,
   * ERR_HTTP2_GOAWAY_SESSION, ERR_HTTP2_INVALID_SESSION, ERR_HTTP2_STREAM_CANCEL): those are
   * `not-sent`, so retried for any method.
   */
  errorCodes?: readonly string[]
  /** Timeout phases retried. Default `['connect']`: a headers timeout retried is how retry storms start. */
  timeouts?: readonly Exclude<TimeoutPhase, 'total'>[]
  /** Exponential backoff with full jitter: a random wait in [0, min(max, base × 2^(n-1))]. Default 100, 5000 ms. */
  backoff?: { base?: number; max?: number }
  /** The longest `Retry-After` honoured; a longer one is not waited for. Default 10000 ms. */
  maxRetryAfter?: number
  /**
   * Retries per origin may add at most `ratio` to the requests of the last `ttl` ms, plus
   * `minPerSecond` (Finagle's defaults: 0.2, 10, 10000). Client-wide. `false` turns it off.
   */
  budget?: { ratio?: number; minPerSecond?: number; ttl?: number } | false
}

export interface RetryPolicy {
  readonly limit: number
  readonly methods: ReadonlySet<string>
  readonly statuses: ReadonlySet<number>
  readonly errorCodes: ReadonlySet<string>
  readonly timeouts: ReadonlySet<string>
  readonly backoffBase: number
  readonly backoffMax: number
  readonly maxRetryAfter: number
  readonly budget: { ratio: number; minPerSecond: number; ttl: number } | null
}

/** Methods retried by default. Frozen: shared by every client, so `add`/`delete` throw. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = frozenSet([
  'GET',
  'HEAD',
  'OPTIONS',
  'PUT',
  'DELETE',
  'TRACE',
])

/** The retry policy of a client given no `retry` option. Deeply frozen: its sets throw on mutation. */
export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  limit: 2,
  methods: IDEMPOTENT_METHODS,
  statuses: frozenSet([408, 429, 500, 502, 503, 504]),
  errorCodes: frozenSet(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET', ...H2_NOT_PROCESSED]),
  timeouts: frozenSet(['connect']),
  backoffBase: 100,
  backoffMax: 5_000,
  maxRetryAfter: 10_000,
  budget: Object.freeze({ ratio: 0.2, minPerSecond: 10, ttl: 10_000 }),
})

const RETRY_KEYS = [
  'limit',
  'methods',
  'statuses',
  'errorCodes',
  'timeouts',
  'backoff',
  'maxRetryAfter',
  'budget',
]

function stringArray(path: string, value: unknown, upper = false): Set<string> {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new ConfigError(path, value, 'an array of strings')
  }
  return new Set(upper ? value.map((v: string) => v.toUpperCase()) : value)
}

/**
 * Validates `retry` (client, scope or request) over `base`; `null` means retries are off. A retry
 * budget is one per origin, shared by the client and all its scopes, so a scope or a request may
 * only turn it off for its own calls (`budget: false`); its settings are the client's.
 */
export function normalizeRetry(
  path: string,
  input: unknown,
  base: RetryPolicy | null,
  level: 'client' | 'scope' | 'request' = 'client',
): RetryPolicy | null {
  if (input === undefined) return base
  if (input === false) return null
  if (input === true) return base ?? DEFAULT_RETRY
  const o = expectObject(path, input, RETRY_KEYS)
  const from = base ?? DEFAULT_RETRY
  let limit = from.limit
  if (o.limit !== undefined) {
    if (typeof o.limit !== 'number' || !Number.isInteger(o.limit) || o.limit < 0 || o.limit > 20) {
      throw new ConfigError(`${path}.limit`, o.limit, 'an integer from 0 to 20')
    }
    limit = o.limit
  }
  let statuses = from.statuses
  if (o.statuses !== undefined) {
    if (!Array.isArray(o.statuses) || !o.statuses.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) {
      throw new ConfigError(`${path}.statuses`, o.statuses, 'an array of HTTP status codes')
    }
    statuses = new Set(o.statuses as number[])
  }
  let timeouts = from.timeouts
  if (o.timeouts !== undefined) {
    timeouts = stringArray(`${path}.timeouts`, o.timeouts)
    for (const phase of timeouts) {
      if (!['connect', 'headers', 'body', 'pool'].includes(phase)) {
        throw new ConfigError(`${path}.timeouts`, phase, "phases among 'connect', 'headers', 'body', 'pool'")
      }
    }
  }
  let { backoffBase, backoffMax } = from
  if (o.backoff !== undefined) {
    const b = expectObject(`${path}.backoff`, o.backoff, ['base', 'max'])
    if (b.base !== undefined) backoffBase = expectMs(`${path}.backoff.base`, b.base, true)
    if (b.max !== undefined) backoffMax = expectMs(`${path}.backoff.max`, b.max, true)
  }
  let budget = from.budget
  if (o.budget === false) budget = null
  else if (o.budget !== undefined && level !== 'client') {
    throw new ConfigError(
      `${path}.budget`,
      o.budget,
      `false, or no value: a retry budget is the client's, one per origin shared by every scope and call (a ${level} may only opt out)`,
    )
  } else if (o.budget !== undefined) {
    const b = expectObject(`${path}.budget`, o.budget, ['ratio', 'minPerSecond', 'ttl'])
    const d = DEFAULT_RETRY.budget!
    const ratio = b.ratio ?? budget?.ratio ?? d.ratio
    if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 10)) {
      throw new ConfigError(`${path}.budget.ratio`, ratio, 'a number from 0 to 10')
    }
    const minPerSecond = b.minPerSecond ?? budget?.minPerSecond ?? d.minPerSecond
    if (typeof minPerSecond !== 'number' || !Number.isInteger(minPerSecond) || minPerSecond < 0) {
      throw new ConfigError(`${path}.budget.minPerSecond`, minPerSecond, 'an integer >= 0')
    }
    const ttl = b.ttl === undefined ? (budget?.ttl ?? d.ttl) : expectMs(`${path}.budget.ttl`, b.ttl)
    budget = { ratio, minPerSecond, ttl }
  }
  return {
    limit,
    methods: o.methods === undefined ? from.methods : stringArray(`${path}.methods`, o.methods, true),
    statuses,
    errorCodes:
      o.errorCodes === undefined ? from.errorCodes : stringArray(`${path}.errorCodes`, o.errorCodes),
    timeouts,
    backoffBase,
    backoffMax,
    maxRetryAfter:
      o.maxRetryAfter === undefined
        ? from.maxRetryAfter
        : expectMs(`${path}.maxRetryAfter`, o.maxRetryAfter, true),
    budget,
  }
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): spreads retries of many clients apart. */
export function backoffDelay(policy: RetryPolicy, retryNumber: number): number {
  const cap = Math.min(policy.backoffMax, policy.backoffBase * 2 ** (retryNumber - 1))
  return Math.floor(Math.random() * cap)
}
