import { Agent, type buildConnector, type Dispatcher, EnvHttpProxyAgent, Pool, ProxyAgent } from 'undici'
import type { HttpCache } from '../features/cache.js'
import { decompressInterceptor } from '../features/decompress.js'
import { type Http2Option, perProtocolPipelining } from '../features/http2.js'
import type { NormalizedProxy } from '../features/proxy.js'
import { ColdStartPool } from './cold-start.js'
import { staleAwareConnector } from '../call/connector.js'
import type { NormalizedLimits, NormalizedTimeouts, TlsOptions } from '../config/options.js'

export interface PoolSettings {
  timeouts: NormalizedTimeouts
  limits: NormalizedLimits
  http2: Http2Option
  h2Streams: number | null
  tls: TlsOptions | undefined
  proxy: NormalizedProxy | 'env' | undefined
  /** Compose undici's decompress interceptor over the pool, under `interceptors` (features/decompress.ts). */
  decompress: boolean
  /** HTTP caching, composed over decompression and under `interceptors`. */
  cache: HttpCache | null
  /** Composed over the pool, the first outermost. */
  interceptors: readonly Dispatcher.DispatcherComposeInterceptor[]
}

/** A composed dispatcher's pool: undici's per-origin figures (`stats`) are read from it. */
const POOL_OF = new WeakMap<Dispatcher, Dispatcher>()

/** The pool under `dispatcher`'s interceptors, or `dispatcher` itself. */
export function poolOf(dispatcher: Dispatcher): Dispatcher {
  return POOL_OF.get(dispatcher) ?? dispatcher
}

/**
 * The owned pool with the client's `interceptors` composed over it (undici's `compose`): they see
 * each attempt Mooring's Call dispatches, and close with the pool.
 */
export function createOwnedDispatcher(settings: PoolSettings): Dispatcher {
  const pool = createPool(settings)
  // Decompression innermost: the cache keeps, and the app's interceptors see, decoded bodies.
  const builtIn: Dispatcher.DispatcherComposeInterceptor[] = []
  if (settings.decompress) builtIn.push(decompressInterceptor())
  if (settings.cache !== null) builtIn.push(...settings.cache.interceptors())
  const interceptors = builtIn.length === 0 ? settings.interceptors : [...builtIn, ...settings.interceptors]
  if (interceptors.length === 0) return pool
  const composed = pool.compose(...interceptors)
  POOL_OF.set(composed, pool)
  return composed
}

/**
 * Builds the dispatcher a client owns: an undici Agent that keeps one Pool per origin. An Agent
 * rather than a single Pool because a client may be allowed other origins and may sit behind a
 * proxy; the per-origin Pool is what holds `limits.connections`, and its `clientTtl` is what
 * retires connections past `limits.maxLifetime`.
 */
function createPool(settings: PoolSettings): Dispatcher {
  const { timeouts, limits, tls } = settings
  const connect = {
    timeout: timeouts.connect,
    ca: tls?.ca,
    cert: tls?.cert,
    key: tls?.key,
    servername: tls?.servername,
    rejectUnauthorized: tls?.dangerouslyDisableVerification !== true,
  }
  const options = {
    connections: limits.connections,
    pipelining: limits.pipelining,
    keepAliveTimeout: limits.keepAliveTimeout,
    keepAliveMaxTimeout: limits.keepAliveMaxTimeout,
    clientTtl: limits.maxLifetime === 0 ? null : limits.maxLifetime,
    headersTimeout: timeouts.headers,
    bodyTimeout: timeouts.body,
    allowH2: settings.http2 !== false,
  }
  // Always a Pool, also for one connection: Agent's default gives a bare Client there, which has no
  // clientTtl. With http2 a cold pool connects once before it sends the rest (cold-start.ts).
  const h2Streams = settings.h2Streams
  const factory = settings.http2
    ? (origin: string | URL, opts: object): Dispatcher =>
        new ColdStartPool(
          origin,
          (h2Streams === null ? opts : perProtocolPipelining(opts, h2Streams)) as Pool.Options,
        )
    : (origin: string | URL, opts: object): Dispatcher => new Pool(origin, opts as Pool.Options)
  if (settings.proxy === 'env') {
    return new EnvHttpProxyAgent({ ...options, connect, factory } as EnvHttpProxyAgent.Options)
  }
  if (settings.proxy !== undefined) {
    return new ProxyAgent({
      ...options,
      connect,
      uri: settings.proxy.uri,
      token: settings.proxy.token,
      requestTls: connect,
    } as ProxyAgent.Options)
  }
  return new Agent({
    ...options,
    factory,
    // useH2c (undici 7.30, not yet in its BuildOptions type): h2 without TLS on http: origins.
    connect: staleAwareConnector({
      ...connect,
      allowH2: settings.http2 !== false,
      useH2c: settings.http2 === 'prior-knowledge',
    } as buildConnector.BuildOptions),
  })
}
