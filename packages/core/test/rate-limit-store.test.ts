import { memoryRateLimitStore, RATE_LIMIT_ADMITTED } from '@mooring/core'
import { describe, expect, it } from 'vitest'

describe('memoryRateLimitStore', () => {
  it('admits a burst, then one call per interval, synchronously and without allocating', () => {
    const store = memoryRateLimitStore()
    const rule = { rps: 10, burst: 3 }
    const t = 1_000_000
    for (let i = 0; i < 3; i++) expect(store.take('a', rule, t)).toBe(RATE_LIMIT_ADMITTED)
    expect(store.take('a', rule, t)).toEqual({ ok: false, retryAfterMs: 100 })
    expect(store.take('a', rule, t + 99)).toEqual({ ok: false, retryAfterMs: 1 })
    expect(store.take('a', rule, t + 100)).toBe(RATE_LIMIT_ADMITTED)
    // Keys are independent.
    expect(store.take('b', rule, t)).toBe(RATE_LIMIT_ADMITTED)
  })

  it('admits at most rps per second over a long run', () => {
    const store = memoryRateLimitStore()
    const rule = { rps: 50, burst: 1 }
    let admitted = 0
    for (let ms = 0; ms < 10_000; ms++) if (store.take('k', rule, ms).ok) admitted++
    expect(admitted).toBe(500)
  })

  it('pause refuses every call under the key for the duration, then admits again', () => {
    const store = memoryRateLimitStore()
    const rule = { rps: 100, burst: 10 }
    store.pause('a', 2_000, 0)
    expect(store.take('a', rule, 500)).toEqual({ ok: false, retryAfterMs: 1_500 })
    expect(store.take('b', rule, 500).ok).toBe(true)
    // A shorter pause does not shorten a longer one.
    store.pause('a', 100, 500)
    expect(store.take('a', rule, 1_000)).toEqual({ ok: false, retryAfterMs: 1_000 })
    expect(store.take('a', rule, 2_000).ok).toBe(true)
  })
})
