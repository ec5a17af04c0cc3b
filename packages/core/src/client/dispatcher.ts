import { Agent, buildConnector, type Dispatcher, EnvHttpProxyAgent, Pool, ProxyAgent } from 'undici'
import { perProtocolPipelining } from '../features/http2.js'
import { ColdStartPool } from './cold-start.js'
import { staleAware } from '../call/connector.js'
import type { PoolSettings } from '../config/options.js'
import { callerContextClientFactory, markRunsUserCode } from '../observe/context.js'

/** A composed dispatcher's pool: undici's per-origin figures (`stats`) are read from it. */
const POOL_OF = new WeakMap<Dispatcher, Dispatcher>()

/** The per-origin pools an owned Agent has made (its factory notes each), by origin. */
const POOLS_OF_AGENT = new WeakMap<Dispatcher, Map<string, Dispatcher>>()

/** undici's `closed` (every dispatcher has it; its public type does not declare it). */
export function isClosed(dispatcher: Dispatcher): boolean {
  return (dispatcher as { closed?: boolean }).closed === true
}

/** What a call reads to find its origin's pool with no map lookup (an OriginState). */
export interface PoolRoute {
  /** The pool calls to this origin went to, and the Agent it belongs to. */
  pool: Dispatcher | null
  poolAgent: Dispatcher | null
}

/**
 * Where a call to `origin` is dispatched: straight to the origin's Pool when `dispatcher` is an
 * owned Agent with nothing composed over it and has made that Pool, so a call skips the Agent's
 * dispatch and lookup; `dispatcher` otherwise (first call to an origin, interceptors, a proxy, a
 * given transport). The Agent closes a Pool whose connections have all gone and makes a new one on
 * the next call: a closed Pool sends the call through the Agent again, which notes the new one.
 */
export function routeTo(route: PoolRoute, dispatcher: Dispatcher, origin: string): Dispatcher {
  const known = route.pool
  if (known !== null && route.poolAgent === dispatcher && !isClosed(known)) return known
  const pool = POOLS_OF_AGENT.get(dispatcher)?.get(origin)
  if (pool === undefined || isClosed(pool)) return dispatcher
  route.pool = pool
  route.poolAgent = dispatcher
  return pool
}

/** The pool under `dispatcher`'s interceptors, or `dispatcher` itself. */
export function poolOf(dispatcher: Dispatcher): Dispatcher {
  for (let under = POOL_OF.get(dispatcher); under !== undefined; under = POOL_OF.get(dispatcher)) {
    dispatcher = under
  }
  return dispatcher
}

/**
 * undici's ProxyAgent writes `host` into the headers object it is given; a call's headers may be
 * its scope's defaults, shared by every call (and frozen when empty): the agent gets a copy.
 */
const copyHeaders: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) =>
  dispatch({ ...opts, headers: { ...(opts.headers as Record<string, string | string[]>) } }, handler)

function behindProxy(agent: Dispatcher): Dispatcher {
  const composed = agent.compose(copyHeaders)
  POOL_OF.set(composed, agent)
  return composed
}

/**
 * The owned pool with the client's `interceptors` composed over it (undici's `compose`): they see
 * each attempt Mooring's Call dispatches, and close with the pool.
 */
export function createOwnedDispatcher(settings: PoolSettings): Dispatcher {
  const pool = createPool(settings)
  // The cache innermost, under the app's interceptors. Decoding is not here: the Call decodes an
  // encoded response itself (features/decompress.ts), so a response that is not pays nothing.
  const interceptors =
    settings.cache === null
      ? settings.interceptors
      : [...settings.cache.interceptors(), ...settings.interceptors]
  if (interceptors.length === 0) return pool
  const composed = pool.compose(...interceptors)
  POOL_OF.set(composed, pool)
  // The app's interceptors are its code, run on every attempt: their calls keep their context.
  // Mooring's own (the cache) reads no context, so alone it captures none.
  if (settings.interceptors.length > 0) markRunsUserCode(composed)
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
  // clientTtl. With http2 a cold pool connects once before it sends the rest (cold-start.ts). Every
  // pool's connector is made stale-aware here, also behind a proxy, whose agents hand their pools
  // the tunnelling connector through this same factory.
  const connectTimeout = timeouts.connect
  const h2Streams = settings.h2Streams
  const pools = new Map<string, Dispatcher>()
  const factory = (origin: string | URL, opts: object): Dispatcher => {
    const pool = makePool(origin, opts)
    pools.set(String(origin), pool)
    return pool
  }
  const makePool = (origin: string | URL, opts: object): Dispatcher => {
    const given = (opts as { connect?: unknown }).connect
    const connector = staleAware(
      typeof given === 'function'
        ? (given as Parameters<typeof staleAware>[0])
        : (buildConnector({
            ...(given as object),
            allowH2: settings.http2 !== false,
            // h2 without TLS on http: origins (undici 7.30; not yet in its BuildOptions type).
            useH2c: settings.http2 === 'prior-knowledge',
          } as buildConnector.BuildOptions) as Parameters<typeof staleAware>[0]),
      connectTimeout,
    )
    // Each connection a CallerContextClient: a dispatch the pool queued is sent in its caller's async
    // context (observe/context.ts).
    let poolOptions = { ...opts, connect: connector, factory: callerContextClientFactory } as Pool.Options
    // h2 streams set per connection from ALPN (features/http2.ts), on the same kind of client.
    if (settings.http2 !== false && h2Streams !== null)
      poolOptions = perProtocolPipelining(poolOptions, h2Streams, callerContextClientFactory)
    return settings.http2 !== false ? new ColdStartPool(origin, poolOptions) : new Pool(origin, poolOptions)
  }
  if (settings.proxy === 'env') {
    return behindProxy(new EnvHttpProxyAgent({ ...options, connect, factory } as EnvHttpProxyAgent.Options))
  }
  if (settings.proxy !== undefined) {
    return behindProxy(
      new ProxyAgent({
        ...options,
        connect,
        factory,
        uri: settings.proxy.uri,
        token: settings.proxy.token,
        requestTls: connect,
      } as ProxyAgent.Options),
    )
  }
  const agent = new Agent({ ...options, factory, connect })
  POOLS_OF_AGENT.set(agent, pools)
  return agent
}
