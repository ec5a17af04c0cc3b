import {
  RATE_LIMIT_ADMITTED,
  type RateLimitDecision,
  type RateLimitRule,
  type RateLimitStore,
} from '@mooring/core'
import { openRedisConnection, type RedisConnection, type RedisConnectionOptions } from './connection.js'

// GCRA in one script, so taking a call is one round trip and atomic across instances. Redis's own
// clock (TIME) is the one clock: instances whose clocks differ still share one schedule.
// KEYS[1]: the theoretical arrival time of the key; KEYS[2]: its pause. ARGV: interval ms, burst.
// Returns 0 (admitted) or the ms to wait.
const TAKE = `
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nxt = tat + interval
local allowAt = nxt - interval * tonumber(ARGV[2])
if allowAt > now then return math.ceil(allowAt - now) end
redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX', math.ceil(nxt - now) + 1000)
return 0
`

// Lengthens a pause, never shortens it. KEYS[1]: the pause; ARGV[1]: its duration in ms.
const PAUSE = `
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
`

type Scripted = { mooringTake(tat: string, pause: string, interval: number, burst: number): Promise<number> }

/** `closes`: the store alone owns the connection (`redisRateLimitStore`), not a part of a `redisStore`. */
export function rateLimitStoreOn(connection: RedisConnection, closes: boolean): RateLimitStore {
  const { redis, prefix, report, starting } = connection
  if (!('mooringTake' in redis)) {
    redis.defineCommand('mooringTake', { numberOfKeys: 2, lua: TAKE })
  }
  const scripted = redis as unknown as Scripted
  const denied = (retryAfterMs: number): RateLimitDecision => ({ ok: false, retryAfterMs })
  const store: RateLimitStore = {
    async take(key: string, rule: RateLimitRule): Promise<RateLimitDecision> {
      // The braces keep a key's two entries in one slot of a Redis Cluster.
      const base = `${prefix}rl:{${key}}`
      try {
        const startup = starting()
        if (startup !== undefined) await startup
        const wait = await scripted.mooringTake(base, `${base}:pause`, 1000 / rule.rps, rule.burst)
        report.succeeded()
        return wait === 0 ? RATE_LIMIT_ADMITTED : denied(wait)
      } catch (error) {
        // Fail open: the upstream's own limit still holds, and a Redis outage must not stop the app.
        report.failed('rateLimit', 'take', 'open', error)
        return RATE_LIMIT_ADMITTED
      }
    },
    async pause(key: string, durationMs: number): Promise<void> {
      if (!(durationMs > 0)) return
      try {
        await starting()
        await redis.eval(PAUSE, 1, `${prefix}rl:{${key}}:pause`, Math.ceil(durationMs))
        report.succeeded()
      } catch (error) {
        report.failed('rateLimit', 'pause', 'open', error)
      }
    },
  }
  if (closes) store.close = () => connection.close()
  return store
}

/**
 * The store behind the client's `rateLimit` option, in Redis: every instance sharing the Redis
 * shares one budget per key (origin, or origin and API key) and one cool-down after a 429.
 * Fails open: with Redis down or slow, calls go on (logged once per outage, counted in stats).
 */
export function redisRateLimitStore(options: RedisConnectionOptions): RateLimitStore {
  return rateLimitStoreOn(openRedisConnection(options), true)
}
