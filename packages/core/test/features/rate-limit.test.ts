import { createClient, memoryRateLimitStore, RateLimitedError, type RateLimitStore } from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { fixtures } from '../support/fixtures.js'

describe('client-side rate limiting', () => {
  it('50 concurrent callers stay within rps + burst, as measured at the upstream', async () => {
    const { upstream, client } = fixtures()
    const arrivals: number[] = []
    const up = await upstream((_req, res) => {
      arrivals.push(performance.now())
      res.end('ok')
    })
    const rps = 50
    const burst = 5
    const c = client({ baseUrl: up.url, rateLimit: { rps, burst } })
    const started = performance.now()
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => (await c.get(`/${i}`)).text()),
    )
    const elapsed = performance.now() - started
    expect(results).toEqual(Array(50).fill('ok'))
    expect(arrivals).toHaveLength(50)
    // Any window of w ms holds at most burst + w * rps / 1000 arrivals (one more for timer slack).
    for (const w of [100, 250, 500]) {
      for (let i = 0; i < arrivals.length; i++) {
        let n = 0
        for (let j = i; j < arrivals.length && arrivals[j]! - arrivals[i]! < w; j++) n++
        expect(n).toBeLessThanOrEqual(burst + Math.ceil((w * rps) / 1000) + 1)
      }
    }
    // 45 past the burst at 50/s: about 900 ms; never much less.
    expect(elapsed).toBeGreaterThan(800)
  })

  it('a call whose turn comes past its deadline fails at once with RateLimitedError and the wait', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream((_req, res) => res.end('ok'))
    const c = client({ baseUrl: up.url, rateLimit: { rps: 1 }, timeout: { total: 300 } })
    await (await c.get('/first')).dump()
    const started = performance.now()
    const err = await c.get('/second').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RateLimitedError)
    expect((err as RateLimitedError).wait).toBeGreaterThan(900)
    expect((err as RateLimitedError).delivery).toBe('not-sent')
    expect(performance.now() - started).toBeLessThan(250)
    expect(up.requests).toHaveLength(1)
    expect(String(err)).toMatch(/rate limit would hold the call \d+ ms, past its deadline/)
  })

  it('callers queue in order; those whose turn would pass their deadline fail at once', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream((_req, res) => res.end('ok'))
    // A turn each 200 ms; a 500 ms deadline leaves room for the turns at 0, 200 and 400 ms only
    // (100 ms either way for late timers on a busy machine).
    const c = client({ baseUrl: up.url, rateLimit: { rps: 5 }, timeout: { total: 500 } })
    const started = performance.now()
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        try {
          await (await c.get(`/${i}`)).dump()
          return { i, ok: true, at: performance.now() - started }
        } catch (err) {
          return { i, ok: false, at: performance.now() - started, err }
        }
      }),
    )
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, false, false, false])
    for (const o of outcomes.filter((x) => !x.ok)) {
      expect(o.err).toBeInstanceOf(RateLimitedError)
      expect((o.err as RateLimitedError).wait).toBeGreaterThanOrEqual(500)
      // Told at once, not after waiting out the deadline.
      expect(o.at).toBeLessThan(150)
    }
    expect(up.requests.map((r) => r.url)).toEqual(['/0', '/1', '/2'])
  })

  it("a 429's Retry-After pauses the origin for every caller of the client", async () => {
    const { upstream, client } = fixtures()
    const arrivals: Array<{ url: string; at: number }> = []
    const up = await upstream((req, res) => {
      arrivals.push({ url: req.url ?? '', at: performance.now() })
      if (req.url === '/limited') {
        res.writeHead(429, { 'retry-after': '1' })
        res.end()
      } else res.end('ok')
    })
    const c = client({ baseUrl: up.url, rateLimit: { rps: 1000, burst: 100 }, retry: false })
    const limited = await c.get('/limited')
    expect(limited.status).toBe(429)
    await limited.dump()
    const others = await Promise.all([c.get('/a'), c.scope().get('/b'), c.get('/c')])
    expect(others.map((r) => r.status)).toEqual([200, 200, 200])
    const pausedAt = arrivals[0]!.at
    for (const a of arrivals.slice(1)) expect(a.at - pausedAt).toBeGreaterThanOrEqual(900)
  })

  it('asks an async store (as @mooring/redis is) per attempt, and honours its answer', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream((_req, res) => res.end('ok'))
    const memory = memoryRateLimitStore()
    const keys: string[] = []
    const store: RateLimitStore = {
      async take(key, rule) {
        keys.push(key)
        return memory.take(key, rule)
      },
      async pause(key, ms) {
        memory.pause(key, ms)
      },
    }
    const c = client({ baseUrl: up.url, rateLimit: { rps: 20, burst: 1, store, key: 'api-key-1' } })
    const started = performance.now()
    await Promise.all([c.get('/1'), c.get('/2'), c.get('/3')].map(async (p) => (await p).dump()))
    expect(performance.now() - started).toBeGreaterThan(80)
    expect(up.requests).toHaveLength(3)
    expect(new Set(keys)).toEqual(new Set([`api-key-1:${up.url}`]))
  })

  it('bad options are ConfigErrors naming the field', () => {
    expect(() => createClient({ rateLimit: { rps: 0 } })).toThrow(
      /rateLimit\.rps: expected a number of calls per second > 0/,
    )
    expect(() => createClient({ rateLimit: { rps: 1, burst: 0.5 } })).toThrow(/rateLimit\.burst/)
    expect(() => createClient({ rateLimit: { rps: 1, store: {} as never } })).toThrow(/rateLimit\.store/)
    expect(() => createClient({ rateLimit: { rps: 1, rate: 2 } as never })).toThrow(/rateLimit\.rate/)
  })
})
