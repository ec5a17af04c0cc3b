import type { Dispatcher } from 'undici'
import { ConfigError } from '../errors.js'
import type { MiddlewareChain } from '../middleware/chain.js'
import type { Middleware } from '../middleware/types.js'
import { normalizeRetry, type RetryOptions, type RetryPolicy } from '../policy/retry.js'
import { type HeaderRecord, overHeaders, serializeQuery } from './headers.js'
import {
  type ClientConfig,
  type HeadersInput,
  type LimitOptions,
  type NormalizedTimeouts,
  normalizeIdempotencyKey,
  normalizeInterceptors,
  normalizeLimits,
  normalizeMaxResponseSize,
  normalizeMiddleware,
  normalizeRedirects,
  normalizeTimeouts,
  normalizeTls,
  type PoolSettings,
  type QueryInput,
  type RequestTimeoutOptions,
  type TlsOptions,
  h2StreamsFor,
} from './options.js'
import type { CallPolicy } from './plan.js'
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

/**
 * What one client or scope applies to its requests: the third stage of the pipeline (options →
 * client config → scope config → request plan). A root client's is made from its ClientConfig by
 * `rootScope`; a scope's from its parent's by `deriveScope`, the one place where a child's settings
 * are laid over its parent's.
 */
export interface ScopeConfig {
  /** The client config the tree was made from. */
  readonly client: ClientConfig
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
  /** The client's middleware and every scope's down to this one (`empty` when there is none). */
  readonly middleware: MiddlewareChain
  /** A scope opened by a `ScopeFactory`: the counts it shares with its factory; null otherwise. */
  readonly prepared: PreparedCounts | null
  /** Made by planRequest at the first plain call, then shared by every plain call of the scope. */
  readonly memo: { policy: CallPolicy | null }
  /** The config of a `scope()` opened here with no options, made on the first one: they are all alike. */
  plainChild: ScopeConfig | null
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

/** The root client's scope config: the client's settings as every call of the tree starts from them. */
export function rootScope(
  client: ClientConfig,
  dispatcher: Dispatcher,
  middleware: MiddlewareChain,
): ScopeConfig {
  return {
    client,
    dispatcher,
    isolatedPool: null,
    ownsDispatcher: client.transport === undefined,
    headers: client.headers,
    query: client.query,
    timeouts: client.timeouts,
    deadline: Number.POSITIVE_INFINITY,
    signal: undefined,
    raiseForStatus: client.raiseForStatus,
    maxConcurrent: 0,
    retry: client.retry,
    autoIdempotencyKey: client.autoIdempotencyKey,
    maxResponseSize: client.maxResponseSize,
    maxRedirects: client.maxRedirects,
    middleware,
    prepared: null,
    memo: { policy: null },
    plainChild: null,
  }
}

/** Validates scope options and derives the scope's settings from its parent's. */
export function deriveScope(parent: ScopeConfig, options: unknown): ScopeConfig {
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
    const rootOptions = parent.client
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
      cache: rootOptions.cache,
      // undici's compose makes the last interceptor the outermost: the client's stay outside the scope's.
      interceptors: [...normalizeInterceptors('interceptors', o.interceptors), ...rootOptions.interceptors],
    }
  } else {
    for (const key of ['limits', 'tls', 'connectTimeout', 'interceptors'] as const) {
      if (o[key] !== undefined) throw new ConfigError(key, o[key], "no value unless pool is 'isolated'")
    }
  }
  const timeouts = normalizeTimeouts('timeout', o.timeout, parent.timeouts, REQUEST_TIMEOUT_KEYS)
  const raiseForStatus =
    o.raiseForStatus === undefined ? parent.raiseForStatus : expectBoolean('raiseForStatus', o.raiseForStatus)
  const retry = normalizeRetry('retry', o.retry, parent.retry, 'scope')
  const maxResponseSize =
    normalizeMaxResponseSize('maxResponseSize', o.maxResponseSize) ?? parent.maxResponseSize
  const maxRedirects = normalizeRedirects('followRedirects', o.followRedirects) ?? parent.maxRedirects
  // A scope that changes nothing a call's policy is made of shares its parent's (no object per scope).
  const samePolicy =
    timeouts === parent.timeouts &&
    raiseForStatus === parent.raiseForStatus &&
    retry === parent.retry &&
    maxResponseSize === parent.maxResponseSize &&
    maxRedirects === parent.maxRedirects
  return {
    client: parent.client,
    dispatcher: null,
    isolatedPool,
    ownsDispatcher: isolated,
    headers:
      o.headers === undefined
        ? parent.headers
        : overHeaders(parent.headers, checkHeaders(o.headers), refuseHeader),
    query: o.query === undefined ? parent.query : serializeQuery(o.query, parent.query),
    timeouts,
    deadline,
    signal: o.signal,
    raiseForStatus,
    maxConcurrent: o.maxConcurrent === undefined ? 0 : expectPositiveInt('maxConcurrent', o.maxConcurrent),
    retry,
    autoIdempotencyKey:
      normalizeIdempotencyKey('idempotencyKey', o.idempotencyKey) ?? parent.autoIdempotencyKey,
    maxResponseSize,
    maxRedirects,
    middleware: parent.middleware.extend(normalizeMiddleware('middleware', o.middleware)),
    prepared: null,
    memo: samePolicy ? parent.memo : { policy: null },
    plainChild: null,
  }
}

function checkHeaders(value: unknown): HeadersInput {
  if (value === null || typeof value !== 'object')
    throw new ConfigError('headers', value, 'an object of headers')
  return value as HeadersInput
}

/** A scope's header refused: a ConfigError, as at client creation. */
export function refuseHeader(problem: string): never {
  throw new ConfigError('headers', undefined, `valid headers (${problem})`)
}
