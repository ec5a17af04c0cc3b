import { describe, expect, it } from 'vitest'
import {
  channels,
  createClient,
  DEFAULT_LIMITS,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  IDEMPOTENT_METHODS,
} from '../src/index.js'

/** Sets are mutated through the base methods, as code holding a `Set` (not a `ReadonlySet`) would. */
const asSet = <T>(set: ReadonlySet<T>) => set as Set<T>

describe('exported defaults are deeply frozen', () => {
  it('IDEMPOTENT_METHODS throws on add, delete and clear, and keeps its entries', () => {
    const methods = asSet(IDEMPOTENT_METHODS)
    expect(() => methods.add('POST')).toThrow(TypeError)
    expect(() => methods.delete('GET')).toThrow(TypeError)
    expect(() => methods.clear()).toThrow(TypeError)
    expect([...IDEMPOTENT_METHODS]).toEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])
    expect(Object.isFrozen(IDEMPOTENT_METHODS)).toBe(true)
  })

  it('DEFAULT_RETRY: the object, its budget and each of its sets refuse changes', () => {
    expect(Object.isFrozen(DEFAULT_RETRY)).toBe(true)
    expect(Object.isFrozen(DEFAULT_RETRY.budget)).toBe(true)
    expect(() => {
      ;(DEFAULT_RETRY as { limit: number }).limit = 10
    }).toThrow(TypeError)
    expect(() => {
      ;(DEFAULT_RETRY.budget as { ratio: number }).ratio = 1
    }).toThrow(TypeError)
    for (const set of [
      DEFAULT_RETRY.methods,
      DEFAULT_RETRY.statuses,
      DEFAULT_RETRY.errorCodes,
      DEFAULT_RETRY.timeouts,
    ]) {
      expect(() => asSet<unknown>(set).add('x')).toThrow(/frozen default/)
      expect(() => asSet<unknown>(set).clear()).toThrow(/frozen default/)
    }
    expect([...DEFAULT_RETRY.statuses]).toEqual([408, 429, 500, 502, 503, 504])
    expect(DEFAULT_RETRY.limit).toBe(2)
  })

  it('DEFAULT_TIMEOUTS, DEFAULT_LIMITS and channels are frozen', () => {
    for (const value of [DEFAULT_TIMEOUTS, DEFAULT_LIMITS, channels]) {
      expect(Object.isFrozen(value)).toBe(true)
    }
    expect(() => {
      ;(DEFAULT_TIMEOUTS as { total: number }).total = 1
    }).toThrow(TypeError)
  })

  it('a client given retry options gets sets of its own, and the defaults stay as they were', async () => {
    const client = createClient({
      baseUrl: 'http://127.0.0.1:9',
      retry: { methods: ['POST'], statuses: [599] },
    })
    expect(IDEMPOTENT_METHODS.has('POST')).toBe(false)
    expect(DEFAULT_RETRY.statuses.has(599)).toBe(false)
    await client.close()
  })
})
