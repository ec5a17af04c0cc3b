import {
  DuplicateError,
  memoryGuardStore,
  memoryStore,
  RedisStoreConfigError,
  redisStore,
  type SharedStore,
} from '@mooring/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, redisSkipReason, startRedisServer } from './support/redis-server.js'

const skip = redisSkipReason()
let server: RedisServer | undefined
const open: SharedStore[] = []
let prefixes = 0

beforeAll(async () => {
  if (!skip) server = await startRedisServer()
})
afterAll(async () => {
  await Promise.all(open.map((store) => store.close()))
  await server?.stop()
})

/** Two instances sharing one store: two Redis connections, or one Map. */
function twoInstances(kind: 'memory' | 'redis'): [SharedStore, SharedStore] {
  if (kind === 'memory') {
    const store = memoryStore()
    return [store, store]
  }
  const prefix = `${(server as RedisServer).prefix}once${++prefixes}:`
  const a = redisStore({ url: (server as RedisServer).url, prefix })
  const b = redisStore({ url: (server as RedisServer).url, prefix })
  open.push(a, b)
  return [a, b]
}

const kinds = skip ? (['memory'] as const) : (['memory', 'redis'] as const)

describe.each(kinds)('once (%s)', (kind) => {
  it('runs the side effect once; a later duplicate gets the stored result', async () => {
    const [a, b] = twoInstances(kind)
    let runs = 0
    const first = await a.once('charge:1', undefined, async ({ attempt }) => {
      runs++
      return { charged: 42, attempt }
    })
    const second = await b.once('charge:1', undefined, async () => {
      runs++
      return { charged: 0, attempt: 0 }
    })
    expect(runs).toBe(1)
    expect(first).toEqual({ charged: 42, attempt: 1 })
    expect(second).toEqual(first)
  })

  it('concurrent duplicates wait for the running one and get its result', async () => {
    const [a, b] = twoInstances(kind)
    let runs = 0
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).once('mail:7', undefined, async () => {
          runs++
          await new Promise((resolve) => setTimeout(resolve, 50))
          return `sent by ${i}`
        }),
      ),
    )
    expect(runs).toBe(1)
    expect(new Set(results).size).toBe(1)
  })

  it("onDuplicate: 'error' throws DuplicateError, running or done", async () => {
    const [a, b] = twoInstances(kind)
    let release: () => void = () => {}
    const running = a.once(
      'job',
      undefined,
      () => new Promise<string>((resolve) => (release = () => resolve('ok'))),
    )
    await new Promise((resolve) => setTimeout(resolve, 30))
    const whileRunning = await b.once('job', { onDuplicate: 'error' }, () => 'again').catch((e: unknown) => e)
    expect(whileRunning).toBeInstanceOf(DuplicateError)
    expect(whileRunning).toMatchObject({ key: 'job', state: 'running', code: 'MOORING_DUPLICATE' })
    release()
    expect(await running).toBe('ok')
    const afterDone = await b.once('job', { onDuplicate: 'error' }, () => 'again').catch((e: unknown) => e)
    expect(afterDone).toMatchObject({ state: 'done' })
    expect((afterDone as Error).message).toMatch(/once\('job'\): this side effect has already run/)
  })

  it('a failed side effect releases the lock: the retry runs, told it is attempt 2', async () => {
    const [a, b] = twoInstances(kind)
    await expect(
      a.once('crm:9', undefined, () => {
        throw new Error('CRM down')
      }),
    ).rejects.toThrow('CRM down')
    expect(await b.once('crm:9', undefined, ({ attempt }) => `written on attempt ${attempt}`)).toBe(
      'written on attempt 2',
    )
  })

  it('stores undefined and falsy results faithfully', async () => {
    const [a, b] = twoInstances(kind)
    await a.once('u', undefined, () => undefined)
    expect(await b.once('u', undefined, () => 'x')).toBeUndefined()
    await a.once('z', undefined, () => 0)
    expect(await b.once('z', undefined, () => 1)).toBe(0)
  })

  it('refuses bad input, naming the option and the value', async () => {
    const [a] = twoInstances(kind)
    await expect(a.once('', undefined, () => 1)).rejects.toBeInstanceOf(RedisStoreConfigError)
    await expect(a.once('k', { ttl: 0 }, () => 1)).rejects.toThrow(
      'once options.ttl must be a positive number of milliseconds, got 0',
    )
    await expect(a.once('k', { failMode: 'maybe' as never }, () => 1)).rejects.toThrow(
      "once options.failMode must be 'open' or 'closed', got maybe",
    )
  })
})

describe('memoryGuardStore', () => {
  it('a lock not renewed expires after lockTtl (a crashed holder): the next claim is attempt 2', async () => {
    const store = memoryGuardStore()
    expect(store.claim('k', 'crashed', 50, 10_000)).toEqual({ state: 'acquired', attempt: 1 })
    expect(store.claim('k', 'other', 50, 10_000)).toEqual({ state: 'running' })
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(store.claim('k', 'other', 50, 10_000)).toEqual({ state: 'acquired', attempt: 2 })
    // The old holder can neither renew, complete nor release what it lost.
    expect(store.extend('k', 'crashed', 50)).toBe(false)
    expect(store.complete('k', 'crashed', '{}', 1000)).toBe(false)
    expect(store.release('k', 'crashed')).toBe(false)
    expect(store.complete('k', 'other', '{"value":1}', 1000)).toBe(true)
    expect(store.claim('k', 'third', 50, 10_000)).toEqual({ state: 'done', outcome: '{"value":1}' })
  })

  it('drops expired keys it is never asked about again, every 1024 claims', async () => {
    const store = memoryGuardStore()
    for (let i = 0; i < 1000; i++) store.claim(`old${i}`, 't', 1, 1)
    expect(store.size).toBe(1000)
    await new Promise((resolve) => setTimeout(resolve, 10))
    for (let i = 0; i < 24; i++) store.claim(`new${i}`, 't', 60_000, 60_000)
    expect(store.size).toBe(24)
  })
})
