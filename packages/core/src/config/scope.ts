import type { Dispatcher } from 'undici'
import { CircuitBreaker } from '../policy/breaker.js'
import { RetryBudget } from '../policy/budget.js'
import type { PoolSettings } from '../client/dispatcher.js'
import { ConfigError } from '../errors.js'
import { configHeaders, type HeaderRecord, serializeQuery } from './headers.js'
import type { Hooks } from '../observe/instrument.js'
import { MiddlewareChain } from '../middleware/chain.js'
import type { Middleware } from '../middleware/types.js'
import {
  type HeadersInput,
  type LimitOptions,
  type NormalizedClientOptions,
  type NormalizedTimeouts,
  normalizeIdempotencyKey,
  normalizeInterceptors,
  normalizeLimits,
  normalizeMiddleware,
  normalizeMaxResponseSize,
  normalizeRedirects,
  normalizeTimeouts,
  normalizeTls,
  type QueryInput,
  type RequestTimeoutOptions,
  type TlsOptions,
  h2StreamsFor,
} from './options.js'
import { normalizeRetry, type RetryOptions, type RetryPolicy } from '../policy/retry.js'
import { OriginState } from '../observe/stats.js'
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
  /** Bytes a response body may have; `Infinity` or `false` for no limit. */
  maxResponseSize?: number | false
  followRedirects?: boolean | number
  /** `'isolated'` gives the scope a pool of its own, closed with it. Default: the parent's pool. */
  pool?: 'shared' | 'isolated'
  /** For an isolated pool. */
  limits?: LimitOptions
  /** For an isolated pool. */
  tls?: TlsOptions
  /** For an isolated pool: its connect timeout. */
  connectTimeout?: number
  /** For an isolated pool: undici interceptors composed over it, inside the client's (which see a request first). */
  interceptors?: readonly Dispatcher.DispatcherComposeInterceptor[]
  /** Run inside the parent's middleware (the client's is outermost). */
  middleware?: readonly Middleware[]
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
  'interceptors',
  'middleware',
]
export const REQUEST_TIMEOUT_KEYS = ['headers', 'body', 'pool', 'total']

/** What every client in one tree (a root client and its scopes) shares. */
export interface Root {
  readonly options: NormalizedClientOptions
  readonly base: Base | undefined
  readonly hooks: Hooks | null
  /** Per origin: counters, and the retry budget and circuit breaker the client and all its scopes share. */
  readonly states: Map<string, OriginState>
  readonly baseState: OriginState | undefined
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
  /** The client's middleware and every scope's down to this one; null when there is none. */
  readonly middleware: MiddlewareChain | null
  /** A scope opened by a `ScopeFactory`: the counts it shares with its factory; null otherwise. */
  readonly prepared: PreparedCounts | null
}

/** Scopes a `ScopeFactory` opened, and how many of them had `close()` called. */
export interface PreparedCounts {
  opened: number
  closed: number
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
  const states = new Map<string, OriginState>()
  const baseState = base === undefined ? undefined : newOriginState(options)
  if (base !== undefined) states.set(base.origin, baseState!)
  return { options, base, hooks: options.hooks, states, baseState }
}

/** The origin's record, made on first use with the client's retry budget and circuit breaker. */
export function originState(root: Root, origin: string): OriginState {
  if (origin === root.base?.origin) return root.baseState!
  let state = root.states.get(origin)
  if (state === undefined) {
    state = newOriginState(root.options)
    root.states.set(origin, state)
  }
  return state
}

function newOriginState(options: NormalizedClientOptions): OriginState {
  const budget = options.retry?.budget
  return new OriginState(
    budget == null ? null : new RetryBudget(budget.ratio, budget.minPerSecond, budget.ttl),
    options.circuitBreaker === null ? null : new CircuitBreaker(options.circuitBreaker),
  )
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
    if (rootOptions.fetchPath !== null) {
      throw new ConfigError(
        'pool',
        o.pool,
        `'shared' on ${rootOptions.fetchPath}, where requests go through the runtime's fetch (no pool to isolate)`,
      )
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
      h2Streams: o.limits === undefined ? rootOptions.h2Streams : h2StreamsFor(rootOptions.http2, o.limits),
      tls: o.tls === undefined ? rootOptions.tls : normalizeTls('tls', o.tls),
      proxy: rootOptions.proxy,
      decompress: rootOptions.decompress,
      cache: rootOptions.cache,
      // undici's compose makes the last interceptor the outermost: the client's stay outside the scope's.
      interceptors: [...normalizeInterceptors('interceptors', o.interceptors), ...rootOptions.interceptors],
    }
  } else {
    for (const key of ['limits', 'tls', 'connectTimeout', 'interceptors'] as const) {
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
    middleware: scopeMiddleware(parent.middleware, normalizeMiddleware('middleware', o.middleware)),
    prepared: null,
  }
}

/** The parent's chain with the scope's middleware inside it; the parent's own when the scope adds none. */
export function scopeMiddleware(
  parent: MiddlewareChain | null,
  own: readonly Middleware[],
): MiddlewareChain | null {
  if (own.length === 0) return parent
  return parent === null ? new MiddlewareChain(own) : parent.extend(own)
}
