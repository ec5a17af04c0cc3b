import type { Dispatcher } from 'undici'
import { CircuitBreaker } from './breaker.js'
import { RetryBudget } from './budget.js'
import type { PoolSettings } from './dispatcher.js'
import { ConfigError } from './errors.js'
import { configHeaders, type HeaderRecord, serializeQuery } from './headers.js'
import type { Hooks } from './instrument.js'
import {
  type HeadersInput,
  type LimitOptions,
  type NormalizedClientOptions,
  type NormalizedTimeouts,
  normalizeIdempotencyKey,
  normalizeLimits,
  normalizeMaxResponseSize,
  normalizeRedirects,
  normalizeTimeouts,
  normalizeTls,
  type QueryInput,
  type RequestTimeoutOptions,
  type TlsOptions,
} from './options.js'
import { normalizeRetry, type RetryOptions, type RetryPolicy } from './retry.js'
import { OriginCounters } from './stats.js'
import type { Base } from './target.js'
import { expectBoolean, expectMs, expectObject, expectPositiveInt } from './validate.js'

export interface ScopeOptions {
  headers?: HeadersInput
  query?: QueryInput
  /** Aborts the scope: its in-flight requests, and any made after, fail with `AbortError`. */
  signal?: AbortSignal
  timeout?: RequestTimeoutOptions
  /** An absolute time (ms since the epoch) no request of this scope may run past. */
  deadline?: number
  /** Requests of this scope in flight at once; more wait in the scope. */
  maxConcurrent?: number
  raiseForStatus?: boolean
  retry?: RetryOptions | false
  idempotencyKey?: 'auto' | false
  maxResponseSize?: number
  followRedirects?: boolean | number
  /** `'isolated'` gives the scope a pool of its own, closed with it. Default: the parent's pool. */
  pool?: 'shared' | 'isolated'
  /** For an isolated pool. */
  limits?: LimitOptions
  /** For an isolated pool. */
  tls?: TlsOptions
  /** For an isolated pool: its connect timeout. */
  connectTimeout?: number
}

const SCOPE_KEYS = [
  'headers',
  'query',
  'signal',
  'timeout',
  'deadline',
  'maxConcurrent',
  'raiseForStatus',
  'retry',
  'idempotencyKey',
  'maxResponseSize',
  'followRedirects',
  'pool',
  'limits',
  'tls',
  'connectTimeout',
]
export const REQUEST_TIMEOUT_KEYS = ['headers', 'body', 'pool', 'total']

/** What every client in one tree (a root client and its scopes) shares. */
export interface Root {
  readonly options: NormalizedClientOptions
  readonly base: Base | undefined
  readonly hooks: Hooks | null
  readonly counters: Map<string, OriginCounters>
  readonly baseCounters: OriginCounters | undefined
  /** Retry budgets per origin, shared by the client and all its scopes. */
  readonly budgets: Map<string, RetryBudget>
  /** Circuit breakers per origin, when the client asked for them. */
  readonly breakers: Map<string, CircuitBreaker> | null
}

/** What one client or scope applies to its requests; a scope derives its own from its parent's. */
export interface Settings {
  /** A root client's dispatcher; null for a scope, which sends through its parent's or its own isolated pool. */
  readonly dispatcher: Dispatcher | null
  /** An isolated scope's pool, made on the scope's first request (a scope that sends nothing opens none). */
  readonly isolatedPool: PoolSettings | null
  readonly ownsDispatcher: boolean
  readonly headers: HeaderRecord
  readonly query: string
  readonly timeouts: NormalizedTimeouts
  /** performance.now() time no request may run past; Infinity when none. */
  readonly deadline: number
  readonly signal: AbortSignal | undefined
  readonly raiseForStatus: boolean
  readonly maxConcurrent: number
  readonly retry: RetryPolicy | null
  readonly autoIdempotencyKey: boolean
  readonly maxResponseSize: number
  readonly maxRedirects: number
}

export function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as AbortSignal).aborted === 'boolean' &&
    typeof (value as AbortSignal).addEventListener === 'function'
  )
}

export function createRoot(options: NormalizedClientOptions, base: Base | undefined): Root {
  const counters = new Map<string, OriginCounters>()
  const baseCounters = base === undefined ? undefined : new OriginCounters()
  if (base !== undefined) counters.set(base.origin, baseCounters!)
  return {
    options,
    base,
    hooks: options.hooks,
    counters,
    baseCounters,
    budgets: new Map(),
    breakers: options.circuitBreaker === null ? null : new Map(),
  }
}

export function breakerFor(root: Root, origin: string): CircuitBreaker | null {
  const breakers = root.breakers
  if (breakers === null) return null
  let breaker = breakers.get(origin)
  if (breaker === undefined) {
    breaker = new CircuitBreaker(root.options.circuitBreaker!)
    breakers.set(origin, breaker)
  }
  return breaker
}

export function countersFor(root: Root, origin: string): OriginCounters {
  if (origin === root.base?.origin) return root.baseCounters!
  let counters = root.counters.get(origin)
  if (counters === undefined) {
    counters = new OriginCounters()
    root.counters.set(origin, counters)
  }
  return counters
}

/** The origin's retry budget, made on first use from the client's budget settings. */
export function budgetFor(root: Root, origin: string): RetryBudget | null {
  const config = root.options.retry?.budget
  if (config == null) return null
  let budget = root.budgets.get(origin)
  if (budget === undefined) {
    budget = new RetryBudget(config.ratio, config.minPerSecond, config.ttl)
    root.budgets.set(origin, budget)
  }
  return budget
}

/** Validates scope options and derives the scope's settings from its parent's. */
export function deriveScopeSettings(root: Root, parent: Settings, options: unknown): Settings {
  const o = expectObject('', options, SCOPE_KEYS) as ScopeOptions
  let deadline = parent.deadline
  if (o.deadline !== undefined) {
    if (typeof o.deadline !== 'number' || !Number.isFinite(o.deadline)) {
      throw new ConfigError('deadline', o.deadline, 'a time in ms since the epoch (Date.now() + budget)')
    }
    deadline = Math.min(deadline, performance.now() + (o.deadline - Date.now()))
  }
  if (o.signal !== undefined && !isAbortSignal(o.signal))
    throw new ConfigError('signal', o.signal, 'an AbortSignal')
  if (o.pool !== undefined && o.pool !== 'shared' && o.pool !== 'isolated') {
    throw new ConfigError('pool', o.pool, "'shared' or 'isolated'")
  }
  let isolatedPool: PoolSettings | null = null
  const isolated = o.pool === 'isolated'
  if (isolated) {
    const rootOptions = root.options
    if (rootOptions.transport !== undefined) {
      throw new ConfigError('pool', o.pool, "'shared' when the client was given a transport")
    }
    isolatedPool = {
      timeouts: {
        ...rootOptions.timeouts,
        connect:
          o.connectTimeout === undefined
            ? rootOptions.timeouts.connect
            : expectMs('connectTimeout', o.connectTimeout),
      },
      limits: normalizeLimits('limits', o.limits, rootOptions.limits),
      http2: rootOptions.http2,
      tls: o.tls === undefined ? rootOptions.tls : normalizeTls('tls', o.tls),
      proxy: rootOptions.proxy,
    }
  } else {
    for (const key of ['limits', 'tls', 'connectTimeout'] as const) {
      if (o[key] !== undefined) throw new ConfigError(key, o[key], "no value unless pool is 'isolated'")
    }
  }
  return {
    dispatcher: null,
    isolatedPool,
    ownsDispatcher: isolated,
    headers:
      o.headers === undefined
        ? parent.headers
        : { ...parent.headers, ...configHeaders('headers', o.headers) },
    query: o.query === undefined ? parent.query : serializeQuery(o.query, parent.query),
    timeouts: normalizeTimeouts('timeout', o.timeout, parent.timeouts, REQUEST_TIMEOUT_KEYS),
    deadline,
    signal: o.signal,
    raiseForStatus:
      o.raiseForStatus === undefined
        ? parent.raiseForStatus
        : expectBoolean('raiseForStatus', o.raiseForStatus),
    maxConcurrent: o.maxConcurrent === undefined ? 0 : expectPositiveInt('maxConcurrent', o.maxConcurrent),
    retry: normalizeRetry('retry', o.retry, parent.retry),
    autoIdempotencyKey:
      normalizeIdempotencyKey('idempotencyKey', o.idempotencyKey) ?? parent.autoIdempotencyKey,
    maxResponseSize: normalizeMaxResponseSize('maxResponseSize', o.maxResponseSize) ?? parent.maxResponseSize,
    maxRedirects: normalizeRedirects('followRedirects', o.followRedirects) ?? parent.maxRedirects,
  }
}
