import { Agent, type Dispatcher, EnvHttpProxyAgent, Pool, ProxyAgent } from 'undici'
import { ColdStartPool } from './cold-start.js'
import { staleAwareConnector } from './stale.js'
import type { NormalizedLimits, NormalizedTimeouts, TlsOptions } from './options.js'

export interface PoolSettings {
  timeouts: NormalizedTimeouts
  limits: NormalizedLimits
  http2: boolean
  tls: TlsOptions | undefined
  proxy: string | 'env' | undefined
}

/**
 * Builds the dispatcher a client owns: an undici Agent that keeps one Pool per origin. An Agent
 * rather than a single Pool because a client may be allowed other origins and may sit behind a
 * proxy; the per-origin Pool is what holds `limits.connections`, and its `clientTtl` is what
 * retires connections past `limits.maxLifetime`.
 */
export function createOwnedDispatcher(settings: PoolSettings): Dispatcher {
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
    allowH2: settings.http2,
  }
  // Always a Pool, also for one connection: Agent's default gives a bare Client there, which has no
  // clientTtl. With http2 a cold pool connects once before it sends the rest (cold-start.ts).
  const factory = settings.http2
    ? (origin: string | URL, opts: object): Dispatcher => new ColdStartPool(origin, opts as Pool.Options)
    : (origin: string | URL, opts: object): Dispatcher => new Pool(origin, opts as Pool.Options)
  if (settings.proxy === 'env') {
    return new EnvHttpProxyAgent({ ...options, connect, factory } as EnvHttpProxyAgent.Options)
  }
  if (settings.proxy !== undefined) {
    return new ProxyAgent({
      ...options,
      connect,
      uri: settings.proxy,
      requestTls: connect,
    } as ProxyAgent.Options)
  }
  return new Agent({
    ...options,
    factory,
    connect: staleAwareConnector({ ...connect, allowH2: settings.http2 }),
  })
}
