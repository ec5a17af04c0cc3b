import { Redis, type RedisOptions } from 'ioredis'
import { expectPositive, RedisStoreConfigError } from './errors.js'
import { FailureReport, type StoreFailure, type StoreLogger, warn } from './report.js'

export interface RedisConnectionOptions {
  /** `redis://host:port/db`; the store opens and closes its own connection. */
  url?: string
  /** An ioredis client you own: the store uses it and never closes it. Give it a `commandTimeout`. */
  client?: Redis
  /** Prefix of every key the store writes. Default `mooring:`. */
  prefix?: string
  /** Each command fails after this many ms (Redis slow or gone): no call waits longer. Default 500. */
  commandTimeout?: number
  /** How long connecting may take before it is retried. Default 2000 ms. */
  connectTimeout?: number
  /** Where the first failure of an outage and the recovery are logged. Default `console.warn`. */
  log?: StoreLogger
  /** Called on every failure (for a metric). */
  onFailure?: (failure: StoreFailure) => void
}

/** One Redis connection, its key prefix and its failure report, shared by the parts of a store. */
export interface RedisConnection {
  readonly redis: Redis
  readonly prefix: string
  readonly report: FailureReport
  /**
   * Undefined once the first connection was made (or given up on): commands then go at once and
   * fail at once while Redis is down. Before that, a promise that settles on the first connection
   * or after `connectTimeout`, so the calls of an app just started wait for Redis a bounded time.
   */
  starting(): Promise<void> | undefined
  close(): Promise<void>
}

export function openRedisConnection(options: RedisConnectionOptions): RedisConnection {
  if (options === null || typeof options !== 'object') {
    throw new RedisStoreConfigError(
      `redisStore options must be an object with url or client, got ${String(options)}`,
    )
  }
  const { url, client } = options
  if ((url === undefined) === (client === undefined)) {
    throw new RedisStoreConfigError(
      'redisStore options: give exactly one of url (a redis:// URL) or client (an ioredis client)',
    )
  }
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
    // The URL may carry a password: name the option, not the value.
    throw new RedisStoreConfigError('redisStore options.url must be a redis:// or rediss:// URL string')
  }
  const prefix = options.prefix ?? 'mooring:'
  if (typeof prefix !== 'string') {
    throw new RedisStoreConfigError(`redisStore options.prefix must be a string, got ${typeof prefix}`)
  }
  const commandTimeout = expectPositive('redisStore options.commandTimeout', options.commandTimeout, 500)
  const connectTimeout = expectPositive('redisStore options.connectTimeout', options.connectTimeout, 2000)
  const report = new FailureReport(options.log ?? warn, options.onFailure)
  if (client !== undefined) {
    return { redis: client, prefix, report, starting: () => undefined, close: async () => {} }
  }
  const settings: RedisOptions = {
    commandTimeout,
    connectTimeout,
    // A command while disconnected fails at once instead of waiting in a queue for a reconnect:
    // the store then fails open or closed right away, and no call hangs on a Redis that is down.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Reconnect forever, at most every second: Redis restarted comes back without a restart of ours.
    retryStrategy: (times) => Math.min(times * 100, 1000),
  }
  const redis = new Redis(url as string, settings)
  // Without a listener, ioredis reports each failed reconnect as an unhandled 'error'.
  redis.on('error', (error: Error) => report.disconnected(error))
  redis.on('ready', () => report.succeeded())
  let startup: Promise<void> | undefined = new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      redis.off('ready', done)
      startup = undefined
      resolve()
    }
    const timer = setTimeout(done, connectTimeout)
    timer.unref()
    redis.once('ready', done)
  })
  return {
    redis,
    prefix,
    report,
    starting: () => startup,
    async close() {
      if (redis.status === 'end') return
      try {
        await redis.quit()
      } catch {
        redis.disconnect()
      }
    },
  }
}
