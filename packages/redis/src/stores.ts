import { memoryRateLimitStore, type RateLimitStore } from '@mooring/core'
import { cacheStores } from 'undici'
import type { CacheStore } from './cache-types.js'
import { RedisCacheStore, type RedisCacheStoreOptions } from './cache-store.js'
import { openRedisConnection, type RedisConnectionOptions } from './connection.js'
import { memoryGuardStore } from './guard-store.js'
import { createOnce, type Once } from './once.js'
import { rateLimitStoreOn } from './rate-limit.js'
import { guardStoreOn } from './redis-guard-store.js'
import { FailureReport, type StoreStats } from './report.js'

/**
 * State shared by everything that must agree across instances: the rate limit's budget, the
 * side-effect guard, the HTTP cache. `memoryStore()` keeps it in this process; `redisStore({ url })`
 * in Redis. Same API: switching is one line.
 */
export interface SharedStore {
  /** For the client's `rateLimit: { rps, burst, store }`. */
  readonly rateLimit: RateLimitStore
  /** For the client's `cache: { store }` or undici's `interceptors.cache({ store })`. */
  readonly cache: CacheStore
  /** The side-effect guard: runs `fn` once per key across everyone sharing this store. */
  readonly once: Once
  /** Failures of the backend so far (always zero in memory). */
  stats(): StoreStats
  /** Closes the connection the store opened (not a `client` you gave it). Safe to call twice. */
  close(): Promise<void>
}

/** Everything in this process: the default, for one instance or the demo. Nothing to install. */
export function memoryStore(): SharedStore {
  const report = new FailureReport(() => {}, undefined)
  const rateLimit = memoryRateLimitStore()
  return {
    rateLimit,
    cache: new cacheStores.MemoryCacheStore(),
    once: createOnce(memoryGuardStore(), report),
    stats: () => report.stats(),
    async close() {
      rateLimit.close()
    },
  }
}

export interface RedisStoreOptions extends RedisConnectionOptions {
  cache?: RedisCacheStoreOptions
}

/** Everything in Redis, over one connection: every instance sharing the Redis shares the state. */
export function redisStore(options: RedisStoreOptions): SharedStore {
  const connection = openRedisConnection(options)
  return {
    // The parts share the connection: only the store's own close() closes it.
    rateLimit: rateLimitStoreOn(connection, false),
    cache: new RedisCacheStore(connection, options.cache),
    once: createOnce(guardStoreOn(connection), connection.report),
    stats: () => connection.report.stats(),
    close: () => connection.close(),
  }
}
