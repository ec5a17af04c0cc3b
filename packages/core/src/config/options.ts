import type { Dispatcher } from 'undici'
import {
  type CircuitBreakerOptions,
  type NormalizedBreakerOptions,
  normalizeBreaker,
} from '../policy/breaker.js'
import { ConfigError } from '../errors.js'
import { expectBoolean, expectMs, expectObject, expectPositiveInt } from './validate.js'
import { configHeaders, configQuery, type HeaderRecord } from './headers.js'
import { type Base, toBase } from './target.js'
import { fanOut, type HookFunction, type Hooks } from '../observe/instrument.js'
import type { Middleware } from '../middleware/types.js'
import { redactUrl, type ShownQuery } from '../observe/redact.js'
import { fetchOnlyRuntime } from '../runtime/detect.js'
import { DEFAULT_RETRY, normalizeRetry, type RetryOptions, type RetryPolicy } from '../policy/retry.js'
import { type CacheOptions, type HttpCache, normalizeCache } from '../features/cache.js'
import { type CookiesOption, normalizeCookies } from '../features/cookies.js'
import { type HedgeOptions, normalizeHedge } from '../features/hedge.js'
import { H2_DEFAULT_STREAMS, type Http2Option, normalizeHttp2 } from '../features/http2.js'
import { type NormalizedProxy, normalizeProxy, type ProxyOptions } from '../features/proxy.js'
import { normalizeRateLimit, type RateLimiter, type RateLimitOptions } from '../features/rate-limit.js'
import { withDefaultHeaders } from '../features/user-agent.js'

/** Milliseconds for each phase of a call. */
export interface TimeoutOptions {
  /** Opening the TCP (and TLS) connection. Client-wide: a pooled connection serves many requests. */
  connect?: number
  /** From the request being written to the response head. */
  headers?: number
  /** Idle time between two body chunks. */
  body?: number
  /** Waiting for a free pooled connection (a fresh connection's connect time counts here too). */
  pool?: number
  /** The whole call: every attempt, every backoff wait, until the body has been received. */
  total?: number
}

export type RequestTimeoutOptions = Omit<TimeoutOptions, 'connect'>

export interface LimitOptions {
  /** Connections per origin. */
  connections?: number
  /** How long an idle keep-alive connection is kept, when the server gives no hint. */
  keepAliveTimeout?: number
  /** The most a server's keep-alive hint may keep an idle connection. */
  keepAliveMaxTimeout?: number
  /** Requests in flight on one HTTP/1.1 connection. */
  pipelining?: number
  /** A connection older than this serves no new request, so long-lived pools follow DNS changes. */
  maxLifetime?: number
}

export interface TlsOptions {
  ca?: string | Buffer | Array<string | Buffer>
  cert?: string | Buffer | Array<string | Buffer>
  key?: string | Buffer | Array<string | Buffer>
  servername?: string
  /** Turns certificate verification off. Named so that nobody sets it by accident. */
  dangerouslyDisableVerification?: boolean
}

export type HeaderValue = string | number | readonly string[] | undefined | null
export type HeadersInput = Record<string, HeaderValue> | Headers | Iterable<readonly [string, string]>
export type QueryValue = string | number | boolean | undefined | null | readonly (string | number | boolean)[]
export type QueryInput = Record<string, QueryValue> | URLSearchParams

export interface ClientOptions {
  /** Paths resolve against it; the client's default headers go to its origin only. */
  baseUrl?: string | URL
  headers?: HeadersInput
  query?: QueryInput
  timeout?: TimeoutOptions
  limits?: LimitOptions
  /**
   * Negotiate HTTP/2 over TLS (undici `allowH2`); concurrent calls share one session (up to 100
   * streams unless `limits.pipelining` says otherwise). `'prior-knowledge'` also speaks h2c to
   * `http:` origins.
   */
  http2?: Http2Option
  tls?: TlsOptions
  /**
   * An explicit proxy URL (credentials in it are sent as `Proxy-Authorization` and redacted
   * everywhere), `{ url, token }`, or `'env'` to follow HTTP_PROXY / HTTPS_PROXY / NO_PROXY.
   */
  proxy?: string | URL | ProxyOptions | 'env'
  /**
   * Any undici Dispatcher to send through instead of an owned pool; or `'fetch'` to send through the
   * runtime's global `fetch` (what Mooring does by itself on Bun and Cloudflare Workers).
   */
  transport?: Dispatcher | 'fetch'
  /** Close `transport` when the client closes. Off: a client does not close what it was given. */
  closeTransport?: boolean
  /** Reject 4xx and 5xx responses with `HttpStatusError`. */
  raiseForStatus?: boolean
  /** Origins other than `baseUrl`'s that absolute URLs may reach, or `'*'`. Default headers never go there. */
  allowedOrigins?: '*' | readonly string[]
  /** Retries of transient failures; `false` turns them off (a stale keep-alive connection is still replayed). */
  retry?: RetryOptions | false
  /** `'auto'`: every non-idempotent call gets one `Idempotency-Key`, the same on every attempt, so it can be retried. */
  idempotencyKey?: 'auto'
  /** Observers of every call (the same events go to diagnostics_channel `mooring:*`); each hook may be an array. */
  hooks?: Hooks
  /**
   * undici interceptors composed over the pool the client owns (`limits`, `tls`, `http2`, `proxy`
   * stay in force), such as `interceptors.decompress()`, `cache()`, `dns()`. Every attempt of a
   * call (retry, stale replay, redirect hop) passes through them; see docs/ARCHITECTURE.md.
   */
  interceptors?: readonly Dispatcher.DispatcherComposeInterceptor[]
  /**
   * `(request, next) => response` functions around every call, the first outermost: they may
   * change the request, answer it themselves, or call `next` again. Mooring's retries run inside `next`.
   */
  middleware?: readonly Middleware[]
  /** Opt-in: fail fast per origin while it keeps failing. */
  circuitBreaker?: CircuitBreakerOptions
  /**
   * Bytes a response body may have; a larger one fails with ResponseTooLargeError without being
   * buffered. Default 64 MiB (`DEFAULT_MAX_RESPONSE_SIZE`); `Infinity` or `false` for no limit.
   */
  maxResponseSize?: number | false
  /** Follow 3xx redirects: `true` for up to 5, or the most to follow. Default: off (3xx go to the caller). */
  followRedirects?: boolean | number
  /** What errors, events and `response.url` may show. Default: every query value is `[redacted]`. */
  redact?: RedactOptions
  /**
   * Decode gzip, deflate, br (and zstd where Node has it) bodies, and send `accept-encoding` for
   * them. Default on; `false` gives the bytes as they came. `maxResponseSize` counts decoded bytes.
   */
  decompress?: boolean
  /** Opt-in: at most `rps` calls per second per origin (`burst` at once); a 429's Retry-After pauses the origin. */
  rateLimit?: RateLimitOptions
  /**
   * Opt-in cookies (tough-cookie): `true` keeps a jar per client and per scope, per origin; `{ jar }`
   * shares one tough-cookie CookieJar with every scope (ask for it only where one user owns the client).
   */
  cookies?: CookiesOption
  /**
   * Opt-in HTTP caching (RFC 9111) through undici's cache interceptor, as a shared cache: a response
   * to a request with credentials (Authorization, cookies) is kept only when marked `public` or
   * `s-maxage`. `true` for an in-memory store; `{ store, methods }` otherwise.
   */
  cache?: boolean | CacheOptions
  /**
   * Opt-in hedging of idempotent calls: after `delay` ms without an answer another call is sent, up
   * to `max` in flight; the first good answer wins and the rest are aborted. Hedges take from the
   * retry budget.
   */
  hedge?: HedgeOptions
}

export interface RedactOptions {
  /** Query keys whose values are shown in clear (`['page', 'q']`); every other value is `[redacted]`. */
  showQuery?: readonly string[]
}

export interface NormalizedTimeouts {
  connect: number
  headers: number
  body: number
  pool: number
  total: number
}

export interface NormalizedLimits {
  connections: number
  keepAliveTimeout: number
  keepAliveMaxTimeout: number
  pipelining: number
  maxLifetime: number
}

export const DEFAULT_TIMEOUTS: Readonly<NormalizedTimeouts> = Object.freeze({
  connect: 10_000,
  headers: 30_000,
  body: 30_000,
  pool: 30_000,
  total: 60_000,
})

/**
 * 64 MiB. A body is buffered whole by `bytes()`, `text()` and `json()`; unlimited, one response
 * (a runaway export, a hostile upstream) can take the process's heap, and V8 refuses strings past
 * ~512 MiB anyway. undici, fetch and axios set no limit; .NET's HttpClient buffers at most 2 GiB.
 * 64 MiB is far above what a service API returns and well below what hurts a Node process.
 */
export const DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024

export const DEFAULT_LIMITS: Readonly<NormalizedLimits> = Object.freeze({
  connections: 64,
  // Below the 5 s idle timeout of Node's http server (and most proxies), so the client lets go first.
  keepAliveTimeout: 4_000,
  keepAliveMaxTimeout: 60_000,
  pipelining: 1,
  // Off, as .NET's PooledConnectionLifetime is by default: undici 7's clientTtl costs about 1 µs per
  // request (bench/README.md). Set it where the upstream's DNS moves.
  maxLifetime: 0,
})

const TIMEOUT_KEYS = ['connect', 'headers', 'body', 'pool', 'total'] as const
const LIMIT_KEYS = [
  'connections',
  'keepAliveTimeout',
  'keepAliveMaxTimeout',
  'pipelining',
  'maxLifetime',
] as const
const TLS_KEYS = ['ca', 'cert', 'key', 'servername', 'dangerouslyDisableVerification'] as const
const CLIENT_KEYS = [
  'baseUrl',
  'headers',
  'query',
  'timeout',
  'limits',
  'http2',
  'tls',
  'proxy',
  'transport',
  'closeTransport',
  'raiseForStatus',
  'allowedOrigins',
  'retry',
  'hooks',
  'interceptors',
  'middleware',
  'idempotencyKey',
  'circuitBreaker',
  'maxResponseSize',
  'followRedirects',
  'redact',
  'decompress',
  'rateLimit',
  'cookies',
  'cache',
  'hedge',
] as const

export function normalizeTimeouts(
  path: string,
  input: unknown,
  base: Readonly<NormalizedTimeouts>,
  keys: readonly string[] = TIMEOUT_KEYS,
): NormalizedTimeouts {
  if (input === undefined) return base as NormalizedTimeouts
  const o = expectObject(path, input, keys)
  const out = { ...base }
  for (const key of TIMEOUT_KEYS) {
    if (o[key] !== undefined) out[key] = expectMs(`${path}.${key}`, o[key])
  }
  return out
}

export function normalizeLimits(
  path: string,
  input: unknown,
  base: Readonly<NormalizedLimits>,
): NormalizedLimits {
  if (input === undefined) return base as NormalizedLimits
  const o = expectObject(path, input, LIMIT_KEYS)
  const out = { ...base }
  if (o.connections !== undefined) out.connections = expectPositiveInt(`${path}.connections`, o.connections)
  if (o.pipelining !== undefined) out.pipelining = expectPositiveInt(`${path}.pipelining`, o.pipelining)
  if (o.keepAliveTimeout !== undefined)
    out.keepAliveTimeout = expectMs(`${path}.keepAliveTimeout`, o.keepAliveTimeout)
  if (o.keepAliveMaxTimeout !== undefined)
    out.keepAliveMaxTimeout = expectMs(`${path}.keepAliveMaxTimeout`, o.keepAliveMaxTimeout)
  if (o.maxLifetime !== undefined) out.maxLifetime = expectMs(`${path}.maxLifetime`, o.maxLifetime, true)
  return out
}

function isPem(value: unknown): boolean {
  return typeof value === 'string' || Buffer.isBuffer(value)
}

export function normalizeTls(path: string, input: unknown): TlsOptions | undefined {
  if (input === undefined) return undefined
  const o = expectObject(path, input, TLS_KEYS)
  for (const key of ['ca', 'cert', 'key'] as const) {
    const v = o[key]
    if (v !== undefined && !isPem(v) && !(Array.isArray(v) && v.every(isPem))) {
      throw new ConfigError(`${path}.${key}`, v, 'a PEM string or Buffer, or an array of them')
    }
  }
  if (o.servername !== undefined && (typeof o.servername !== 'string' || o.servername === '')) {
    throw new ConfigError(`${path}.servername`, o.servername, 'a non-empty host name')
  }
  if (o.dangerouslyDisableVerification !== undefined) {
    expectBoolean(`${path}.dangerouslyDisableVerification`, o.dangerouslyDisableVerification)
  }
  return o as TlsOptions
}

function parseBaseUrl(path: string, value: unknown): URL {
  let url: URL
  try {
    if (!(value instanceof URL) && typeof value !== 'string') throw new TypeError()
    url = new URL(String(value))
  } catch {
    throw new ConfigError(
      path,
      typeof value === 'string' ? redactUrl(value) : value,
      'an absolute http(s) URL',
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(path, redactUrl(url.href), 'an absolute http(s) URL')
  }
  if (url.username || url.password) {
    throw new ConfigError(path, redactUrl(url.href), 'a URL without credentials (pass them in `headers`)')
  }
  return url
}

function isDispatcher(value: unknown): value is Dispatcher {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Dispatcher).dispatch === 'function' &&
    typeof (value as Dispatcher).close === 'function' &&
    typeof (value as Dispatcher).destroy === 'function'
  )
}

export interface NormalizedClientOptions {
  base: URL | undefined
  timeouts: NormalizedTimeouts
  limits: NormalizedLimits
  http2: Http2Option
  /** Streams per h2 connection when `limits.pipelining` was not set (HTTP/1.1 then stays at 1); null when it was, or without http2. */
  h2Streams: number | null
  tls: TlsOptions | undefined
  proxy: NormalizedProxy | 'env' | undefined
  transport: Dispatcher | undefined
  /**
   * Set when the client sends through the runtime's `fetch` (no pool of its own): the runtime where
   * undici's Agent cannot run, or `transport: 'fetch'`. Null on the undici path.
   */
  fetchPath: string | null
  closeTransport: boolean
  raiseForStatus: boolean
  allowedOrigins: '*' | ReadonlySet<string> | undefined
  retry: RetryPolicy | null
  autoIdempotencyKey: boolean
  hooks: Hooks | null
  /** Composed over the pool; as with undici's compose, the last one sees a request first. */
  interceptors: readonly Dispatcher.DispatcherComposeInterceptor[]
  middleware: readonly Middleware[]
  circuitBreaker: NormalizedBreakerOptions | null
  maxResponseSize: number
  maxRedirects: number
  /** Query keys shown in clear in messages and events (`redact.showQuery`). */
  shownQuery: ShownQuery
  decompress: boolean
  rateLimit: RateLimiter | null
  /** The cookie middleware, innermost under the app's; null when off. */
  cookies: Middleware | null
  /** HTTP caching, composed under `interceptors` (features/cache.ts). */
  cache: HttpCache | null
  hedge: { delay: number; max: number } | null
}

/** What a pool is made from: the client's, or an isolated scope's over the client's. */
export type PoolSettings = Pick<
  NormalizedClientOptions,
  'timeouts' | 'limits' | 'http2' | 'h2Streams' | 'tls' | 'proxy' | 'cache' | 'interceptors'
>

/**
 * The second stage of the configuration pipeline (options → client config → scope config →
 * request plan): every client option validated and normalized, `headers` and `query` included.
 */
export interface ClientConfig extends NormalizedClientOptions {
  /** `baseUrl` as the origin and path prefix paths resolve against. */
  readonly target: Base | undefined
  readonly headers: HeaderRecord
  /** Serialised, without the `?`. */
  readonly query: string
  /**
   * Encoded responses are decoded (features/decompress.ts): `decompress` on, over the owned pool
   * (a given transport's bodies, and fetch's, come as that transport gives them).
   */
  readonly decodes: boolean
}

/** Validates and normalizes `createClient`'s options, all of them, once. */
export function resolveClient(input: unknown): ClientConfig {
  const options = normalizeClientOptions(input)
  const o = (input ?? {}) as Record<string, unknown>
  const decodes = options.decompress && options.transport === undefined && options.fetchPath === null
  return {
    ...options,
    target: toBase(options.base),
    // `user-agent`, and `accept-encoding` where the client decodes (features/user-agent.ts).
    headers: withDefaultHeaders(
      o.headers === undefined ? NO_HEADERS : configHeaders('headers', o.headers),
      o.headers,
      decodes,
    ),
    query: o.query === undefined ? '' : configQuery('query', o.query),
    decodes,
  }
}

const NO_HEADERS: HeaderRecord = Object.freeze({}) as HeaderRecord

export function normalizeClientOptions(
  input: unknown,
  keys: readonly string[] = CLIENT_KEYS,
): NormalizedClientOptions {
  const o = input === undefined ? {} : expectObject('', input, keys)
  const base = o.baseUrl === undefined ? undefined : parseBaseUrl('baseUrl', o.baseUrl)
  const proxy = normalizeProxy('proxy', o.proxy)
  const http2 = normalizeHttp2('http2', o.http2)
  if (o.transport !== undefined && o.transport !== 'fetch' && !isDispatcher(o.transport)) {
    throw new ConfigError(
      'transport',
      o.transport,
      "an undici Dispatcher (with dispatch, close and destroy) or 'fetch'",
    )
  }
  let fetchPath: string | null = null
  if (o.transport === 'fetch') fetchPath = "transport: 'fetch'"
  else if (o.transport === undefined) fetchPath = fetchOnlyRuntime()
  if (o.transport !== undefined || fetchPath !== null) {
    // What only a pool of Mooring's own can honour: refused where there is none, not ignored.
    const why =
      o.transport === undefined
        ? `no value on ${fetchPath}, where requests go through the runtime's fetch (the runtime pools connections; see the fetch path in @mooring/core's README)`
        : o.transport === 'fetch'
          ? "no value with transport: 'fetch' (the runtime's fetch pools connections; see the fetch path in @mooring/core's README)"
          : 'no value when `transport` is given (configure the transport instead)'
    for (const owned of ['limits', 'tls', 'http2', 'proxy', 'interceptors'] as const) {
      if (o[owned] !== undefined) throw new ConfigError(owned, o[owned], why)
    }
  }
  let allowedOrigins: '*' | Set<string> | undefined
  if (o.allowedOrigins !== undefined) {
    if (o.allowedOrigins === '*') allowedOrigins = '*'
    else if (Array.isArray(o.allowedOrigins)) {
      allowedOrigins = new Set(
        o.allowedOrigins.map((origin, i) => parseBaseUrl(`allowedOrigins[${i}]`, origin).origin),
      )
    } else throw new ConfigError('allowedOrigins', o.allowedOrigins, "'*' or an array of origins")
  }
  return {
    base,
    timeouts: normalizeTimeouts('timeout', o.timeout, DEFAULT_TIMEOUTS),
    limits: normalizeLimits('limits', o.limits, DEFAULT_LIMITS),
    http2,
    h2Streams: h2StreamsFor(http2, o.limits),
    tls: normalizeTls('tls', o.tls),
    proxy,
    transport: o.transport === 'fetch' ? undefined : (o.transport as Dispatcher | undefined),
    fetchPath,
    closeTransport:
      o.closeTransport === undefined ? false : expectBoolean('closeTransport', o.closeTransport),
    raiseForStatus:
      o.raiseForStatus === undefined ? false : expectBoolean('raiseForStatus', o.raiseForStatus),
    allowedOrigins,
    retry: normalizeRetry('retry', o.retry, DEFAULT_RETRY),
    autoIdempotencyKey: normalizeIdempotencyKey('idempotencyKey', o.idempotencyKey) ?? false,
    hooks: normalizeHooks(o.hooks),
    interceptors: normalizeInterceptors('interceptors', o.interceptors),
    middleware: normalizeMiddleware('middleware', o.middleware),
    circuitBreaker: normalizeBreaker('circuitBreaker', o.circuitBreaker),
    maxResponseSize:
      normalizeMaxResponseSize('maxResponseSize', o.maxResponseSize) ?? DEFAULT_MAX_RESPONSE_SIZE,
    maxRedirects: normalizeRedirects('followRedirects', o.followRedirects) ?? 0,
    shownQuery: normalizeRedact('redact', o.redact),
    decompress: o.decompress === undefined ? true : expectBoolean('decompress', o.decompress),
    rateLimit: normalizeRateLimit('rateLimit', o.rateLimit),
    cookies: normalizeCookies('cookies', o.cookies),
    cache: normalizeCache('cache', o.cache),
    hedge: normalizeHedge('hedge', o.hedge),
  }
}

/** Streams per h2 connection by default, unless `limits.pipelining` is set (then it rules both protocols). */
export function h2StreamsFor(http2: Http2Option, limits: unknown): number | null {
  if (http2 === false) return null
  const pipelining = (limits as { pipelining?: unknown } | undefined)?.pipelining
  return pipelining === undefined ? H2_DEFAULT_STREAMS : null
}

export function normalizeMaxResponseSize(path: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (value === false || value === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ConfigError(path, value, 'a whole number of bytes >= 0, or Infinity or false for no limit')
  }
  return value
}

export function normalizeRedirects(path: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (value === true) return 5
  if (value === false) return 0
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 50) {
    throw new ConfigError(path, value, 'a boolean or a number of redirects from 0 to 50')
  }
  return value
}

export function normalizeIdempotencyKey(path: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined
  if (value === 'auto') return true
  if (value === false) return false
  throw new ConfigError(path, value, "'auto' or false")
}

const HOOK_KEYS = ['onRequest', 'onResponse', 'onRetry', 'onError'] as const

/** Each hook a function or an array of them; an array becomes one function that calls each in turn. */
function normalizeHooks(value: unknown): Hooks | null {
  if (value === undefined) return null
  const o = expectObject('hooks', value, HOOK_KEYS)
  const out: Record<string, HookFunction<object>> = {}
  for (const key of HOOK_KEYS) {
    const hook = o[key]
    if (hook === undefined) continue
    if (typeof hook === 'function') out[key] = hook as HookFunction<object>
    else if (Array.isArray(hook) && hook.every((h) => typeof h === 'function')) {
      if (hook.length === 1) out[key] = hook[0]
      else if (hook.length > 1) out[key] = fanOut(key, hook)
    } else throw new ConfigError(`hooks.${key}`, hook, 'a function or an array of functions')
  }
  // No hook in it (`hooks: {}`, empty arrays): as none at all, so calls capture no context for it.
  for (const _ in out) return out as Hooks
  return null
}

/** Functions of `path`: an array of them, each checked here, not at the first request. */
function expectFunctions<T>(path: string, value: unknown, what: string): readonly T[] {
  if (value === undefined) return NONE as readonly T[]
  if (!Array.isArray(value)) throw new ConfigError(path, value, `an array of ${what}`)
  value.forEach((f, i) => {
    if (typeof f !== 'function') throw new ConfigError(`${path}[${i}]`, f, what)
  })
  return value.length === 0 ? (NONE as readonly T[]) : Object.freeze([...value])
}

const NONE: readonly never[] = Object.freeze([])

export function normalizeInterceptors(
  path: string,
  value: unknown,
): readonly Dispatcher.DispatcherComposeInterceptor[] {
  return expectFunctions(
    path,
    value,
    'undici interceptors ((dispatch) => dispatch), such as interceptors.dns()',
  )
}

export function normalizeMiddleware(path: string, value: unknown): readonly Middleware[] {
  return expectFunctions(path, value, 'middleware functions (request, next) => response')
}

/** Validates `redact` (`{ showQuery: ['page', 'q'] }`). */
export function normalizeRedact(path: string, value: unknown): ShownQuery {
  if (value === undefined) return null
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(path, value, "an object such as { showQuery: ['page'] }")
  }
  for (const key of Object.keys(value)) {
    if (key !== 'showQuery') {
      throw new ConfigError(`${path}.${key}`, undefined, 'a known option (showQuery)')
    }
  }
  const showQuery = (value as { showQuery?: unknown }).showQuery
  if (showQuery === undefined) return null
  if (!Array.isArray(showQuery) || !showQuery.every((k) => typeof k === 'string' && k !== '')) {
    throw new ConfigError(
      `${path}.showQuery`,
      showQuery,
      'an array of query keys (non-empty strings) whose values may be shown',
    )
  }
  return showQuery.length === 0 ? null : new Set(showQuery)
}
