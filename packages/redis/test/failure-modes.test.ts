import { redisStore, type SharedStore, type StoreFailure, StoreUnavailableError } from '@mooring/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, type RedisServer, redisFaultSkipReason, startRedisServer } from './support/redis-server.js'

const skip = redisFaultSkipReason()
const rule = { rps: 1000, burst: 1000 }

/** A store with short bounds whose log and failures the test reads. */
function observed(url: string, prefix: string) {
  const logs: string[] = []
  const failures: StoreFailure[] = []
  const store = redisStore({
    url,
    prefix,
    commandTimeout: 150,
    connectTimeout: 300,
    log: (message) => logs.push(message),
    onFailure: (failure) => failures.push(failure),
  })
  return { store, logs, failures }
}

/** Every store operation, each timed: none may hang. */
async function everyOperation(store: SharedStore) {
  const started = Date.now()
  const take = await store.rateLimit.take('origin', rule)
  const cached = await store.cache.get({ origin: 'http://x.test', method: 'GET', path: '/' })
  let ranOpen = 0
  const open = await store.once('effect-open', { failMode: 'open' }, ({ guarded }) => {
    ranOpen++
    return guarded
  })
  let ranClosed = 0
  const closed = await store
    .once('effect-closed', { failMode: 'closed' }, () => {
      ranClosed++
    })
    .catch((error: unknown) => error)
  return { take, cached, open, ranOpen, closed, ranClosed, elapsed: Date.now() - started }
}

describe.skipIf(skip)('failure modes', () => {
  let server: RedisServer
  const stores: SharedStore[] = []
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()))
    await server?.stop()
  })

  it('Redis down at startup: rate limit and cache fail open, the guard follows failMode, nothing hangs', async () => {
    const { store, logs, failures } = observed(`redis://127.0.0.1:${await freePort()}`, 'down:')
    stores.push(store)
    const outcome = await everyOperation(store)
    expect(outcome.take).toEqual({ ok: true })
    expect(outcome.cached).toBeUndefined()
    expect(outcome).toMatchObject({ open: false, ranOpen: 1, ranClosed: 0 })
    expect(outcome.closed).toBeInstanceOf(StoreUnavailableError)
    expect((outcome.closed as Error).message).toContain("failMode is 'closed': the side effect did not run")
    // Bounded: the startup wait (300 ms) once, then each command fails at once. Generous bound.
    expect(outcome.elapsed).toBeLessThan(5_000)
    expect(store.stats()).toMatchObject({ failedOpen: 3, failedClosed: 1, healthy: false })
    expect(failures.map((f) => `${f.part} ${f.outcome}`)).toEqual([
      'rateLimit open',
      'cache open',
      'guard open',
      'guard closed',
    ])
    // One line for the outage, not one per call.
    expect(logs.filter((line) => line.includes('failing'))).toHaveLength(0)
    expect(logs.length).toBeGreaterThanOrEqual(1)
    expect(logs[0]).toMatch(/@mooring\/redis: the connection failed/)
  })

  it('killed mid-run, then restarted: calls fail as chosen at once, then the store works again', async () => {
    const { store, logs } = observed(server.url, 'kill:')
    stores.push(store)
    expect((await store.rateLimit.take('k', { rps: 1, burst: 1 })).ok).toBe(true)
    expect((await store.rateLimit.take('k', { rps: 1, burst: 1 })).ok).toBe(false)
    await server.kill()
    const during = await everyOperation(store)
    expect(during.take).toEqual({ ok: true })
    expect(during.ranOpen).toBe(1)
    expect(during.closed).toBeInstanceOf(StoreUnavailableError)
    expect(during.ranClosed).toBe(0)
    expect(during.elapsed).toBeLessThan(5_000)
    expect(store.stats().healthy).toBe(false)
    await server.restart()
    // Bounded: ioredis reconnects within a second of the restart.
    let effect: string | undefined
    for (let i = 0; i < 60 && effect === undefined; i++) {
      effect = await store.once('after-restart', { failMode: 'closed' }, () => 'ran').catch(() => undefined)
      if (effect === undefined) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(effect).toBe('ran')
    expect(await store.once('after-restart', undefined, () => 'again')).toBe('ran')
    expect(store.stats().healthy).toBe(true)
    expect(logs.at(-1)).toBe('@mooring/redis: the store answers again')
  })

  it('slow (frozen) Redis: every operation gives up after commandTimeout, in the chosen mode', async () => {
    const { store, failures } = observed(server.url, 'slow:')
    stores.push(store)
    expect((await store.rateLimit.take('k', rule)).ok).toBe(true)
    server.freeze()
    try {
      const outcome = await everyOperation(store)
      expect(outcome.take).toEqual({ ok: true })
      expect(outcome.cached).toBeUndefined()
      expect(outcome.ranOpen).toBe(1)
      expect(outcome.closed).toBeInstanceOf(StoreUnavailableError)
      expect(outcome.ranClosed).toBe(0)
      expect(failures.every((f) => /timed out/i.test(f.error.message))).toBe(true)
      // Four commands of at most 150 ms each; generous bound.
      expect(outcome.elapsed).toBeLessThan(5_000)
    } finally {
      server.thaw()
    }
  })
})
