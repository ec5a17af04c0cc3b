import { memoryStore, redisRateLimitStore, redisStore, type SharedStore } from '@mooring/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, redisSkipReason, startRedisServer } from './support/redis-server.js'

const skip = redisSkipReason()

describe.skipIf(skip)('redisRateLimitStore', () => {
  let server: RedisServer
  const open: SharedStore[] = []
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await Promise.all(open.map((store) => store.close()))
    await server?.stop()
  })
  const instance = (prefix: string) => {
    const store = redisStore({ url: server.url, prefix: `${server.prefix}${prefix}` })
    open.push(store)
    return store
  }

  it('two instances share one budget: a burst, then one call per interval, across both', async () => {
    const a = instance('t1:').rateLimit
    const b = instance('t1:').rateLimit
    const rule = { rps: 5, burst: 4 }
    const decisions = await Promise.all(
      [a, b, a, b, a, b].map((store) => store.take('https://api.test', rule)),
    )
    expect(decisions.filter((d) => d.ok)).toHaveLength(4)
    const refused = decisions.filter((d) => !d.ok)
    expect(refused).toHaveLength(2)
    for (const d of refused) if (!d.ok) expect(d.retryAfterMs).toBeGreaterThan(0)
    for (const d of refused) if (!d.ok) expect(d.retryAfterMs).toBeLessThanOrEqual(200)
    // Another key has its own budget.
    expect((await b.take('https://other.test', rule)).ok).toBe(true)
  })

  it('a pause set by one instance refuses calls on the other until it ends', async () => {
    const a = instance('t2:').rateLimit
    const b = instance('t2:').rateLimit
    const rule = { rps: 100, burst: 100 }
    expect((await b.take('origin', rule)).ok).toBe(true)
    await a.pause('origin', 300)
    const during = await b.take('origin', rule)
    expect(during.ok).toBe(false)
    if (!during.ok) expect(during.retryAfterMs).toBeGreaterThan(200)
    // A shorter pause does not shorten it.
    await b.pause('origin', 10)
    const still = await a.take('origin', rule)
    expect(still.ok).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, during.ok ? 0 : during.retryAfterMs + 20))
    expect((await b.take('origin', rule)).ok).toBe(true)
  })

  it('redisRateLimitStore alone opens and closes its own connection', async () => {
    const store = redisRateLimitStore({ url: server.url, prefix: `${server.prefix}t3:` })
    expect((await store.take('k', { rps: 1, burst: 1 })).ok).toBe(true)
    expect((await store.take('k', { rps: 1, burst: 1 })).ok).toBe(false)
    await store.close?.()
    await store.close?.()
  })
})

describe('memoryStore rate limit', () => {
  it('has the same contract in process, answered without a promise', () => {
    const store = memoryStore()
    const decision = store.rateLimit.take('k', { rps: 1, burst: 1 })
    expect(decision).toEqual({ ok: true })
    expect(store.rateLimit.take('k', { rps: 1, burst: 1 })).toMatchObject({ ok: false })
  })
})

describe('redisStore options', () => {
  it('names the option and what was expected, never the URL (it may hold a password)', () => {
    expect(() => redisStore({} as never)).toThrow(/exactly one of url .* or client/)
    expect(() => redisStore({ url: 'http://user:s3cret@host' })).toThrow(/options\.url must be a redis:\/\//)
    try {
      redisStore({ url: 'http://user:s3cret@host' })
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('s3cret')
    }
    expect(() => redisStore({ url: 'redis://127.0.0.1:1', commandTimeout: -1 })).toThrow(
      /commandTimeout must be a positive number of milliseconds, got -1/,
    )
  })
})
