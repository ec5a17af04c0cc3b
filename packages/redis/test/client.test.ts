import { createClient, type MooringClient } from '@mooring/core'
import { redisStore, type SharedStore } from '@mooring/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, redisSkipReason, startRedisServer } from './support/redis-server.js'
import { startUpstream } from './support/upstream.js'

const skip = redisSkipReason()

// The stores behind @mooring/core's own options: two clients with two stores over one Redis stand
// for two instances of an app.
describe.skipIf(skip)('the client options rateLimit and cache over Redis stores', () => {
  let server: RedisServer
  const closing: Array<{ close(): Promise<void> }> = []
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    for (const c of closing.reverse()) await c.close()
    await server?.stop()
  })
  let prefixes = 0
  const instances = () => {
    const prefix = `${server.prefix}client${++prefixes}:`
    const stores = [redisStore({ url: server.url, prefix }), redisStore({ url: server.url, prefix })]
    closing.push(...stores)
    return stores as [SharedStore, SharedStore]
  }
  const client = (options: Parameters<typeof createClient>[0]): MooringClient => {
    const created = createClient(options)
    closing.push(created)
    return created
  }

  it('rateLimit: two clients share one budget per origin, measured at the upstream', async () => {
    const upstream = await startUpstream((_req, res) => res.end('ok'))
    closing.push(upstream)
    const rps = 25
    const [a, b] = instances()
    const one = client({ baseUrl: upstream.origin, rateLimit: { rps, store: a.rateLimit } })
    const two = client({ baseUrl: upstream.origin, rateLimit: { rps, store: b.rateLimit } })
    // 2 × 20 calls at once: at 25 a second they take about 1.6 s together.
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).get('/').then((r) => r.text())),
    )
    const times = upstream.arrivals.map((arrival) => arrival.at).sort((x, y) => x - y)
    expect(times).toHaveLength(40)
    const span = times[39] - times[0]
    expect(span).toBeGreaterThanOrEqual((39 / rps) * 1000 * 0.9)
    for (const from of times) {
      expect(times.filter((t) => t >= from && t < from + 1000).length).toBeLessThanOrEqual(
        Math.ceil(rps * 1.1),
      )
    }
  })

  it("rateLimit: a 429's Retry-After seen by one client holds the other's calls", async () => {
    let refusedAt = 0
    const upstream = await startUpstream((req, res, at) => {
      if (req.url === '/first' && refusedAt === 0) {
        refusedAt = at
        res.writeHead(429, { 'retry-after': '1' }).end()
        return
      }
      res.end('ok')
    })
    closing.push(upstream)
    const [a, b] = instances()
    const one = client({
      baseUrl: upstream.origin,
      retry: false,
      rateLimit: { rps: 100, burst: 10, store: a.rateLimit },
    })
    const two = client({ baseUrl: upstream.origin, rateLimit: { rps: 100, burst: 10, store: b.rateLimit } })
    expect((await one.get('/first')).status).toBe(429)
    // The pause is written by the client that saw the 429 without waiting on it: give it its round trip.
    for (let i = 0; i < 50 && !(await isPaused(b, upstream.origin)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    const response = await two.get('/second')
    expect(response.status).toBe(200)
    const second = upstream.arrivals.find((arrival) => arrival.url === '/second')
    expect(second?.at).toBeGreaterThanOrEqual(refusedAt + 900)
  })

  it('cache: a response cached through one client is a hit for the other', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.setHeader('cache-control', 'public, max-age=60')
      res.end(`answer ${upstream.arrivals.length}`)
    })
    closing.push(upstream)
    const [a, b] = instances()
    const one = client({ baseUrl: upstream.origin, cache: { store: a.cache } })
    const two = client({ baseUrl: upstream.origin, cache: { store: b.cache } })
    const first = await (await one.get('/movie/1')).text()
    // The cache write ends after the response; bounded wait for it to reach Redis.
    for (
      let i = 0;
      i < 50 &&
      (await b.cache.get({ origin: upstream.origin, method: 'GET', path: '/movie/1' })) === undefined;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(await (await two.get('/movie/1')).text()).toBe(first)
    expect(upstream.arrivals).toHaveLength(1)
  })
})

/** Whether the origin is paused in the shared store (a take under its key is refused for a long wait). */
async function isPaused(store: SharedStore, origin: string): Promise<boolean> {
  const decision = await store.rateLimit.take(origin, { rps: 1000, burst: 1000 })
  return !decision.ok && decision.retryAfterMs > 100
}
