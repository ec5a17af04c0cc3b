import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { memoryStore, redisStore, type SharedStore } from '@mooring/redis'
import { Agent, type Dispatcher, interceptors, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, redisSkipReason, startRedisServer } from './support/redis-server.js'

const skip = redisSkipReason()

describe('shared HTTP cache (undici interceptors.cache over the store)', () => {
  let upstream: Server
  let origin: string
  let hits = 0
  let server: RedisServer | undefined
  const closing: Array<{ close(): Promise<void> }> = []

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      hits++
      res.setHeader('cache-control', 'public, max-age=60')
      res.setHeader('vary', 'accept-language')
      res.end(`answer ${hits} for ${req.url} in ${req.headers['accept-language'] ?? 'any'}`)
    })
    upstream.listen(0, '127.0.0.1')
    await once(upstream, 'listening')
    origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
    if (!skip) server = await startRedisServer()
  })
  afterAll(async () => {
    await Promise.all(closing.map((c) => c.close()))
    upstream.close()
    await server?.stop()
  })

  /** One "instance": its own Agent with undici's cache interceptor over the given store. */
  const instance = (store: SharedStore): Dispatcher => {
    const agent = new Agent()
    closing.push(agent)
    return agent.compose(interceptors.cache({ store: store.cache }))
  }
  const get = async (dispatcher: Dispatcher, path: string, language?: string) => {
    const headers = language ? { 'accept-language': language } : undefined
    const response = await request(`${origin}${path}`, { dispatcher, headers })
    return response.body.text()
  }

  it.skipIf(skip)('two instances over one Redis share hits, per Vary variant', async () => {
    const a = redisStore({
      url: (server as RedisServer).url,
      prefix: `${(server as RedisServer).prefix}cache1:`,
    })
    const b = redisStore({
      url: (server as RedisServer).url,
      prefix: `${(server as RedisServer).prefix}cache1:`,
    })
    closing.push(a, b)
    const one = instance(a)
    const two = instance(b)
    const before = hits
    const first = await get(one, '/movie/1', 'en')
    // The write stream ends after the response; give it a moment to reach Redis. Bounded.
    for (
      let i = 0;
      i < 50 &&
      (await b.cache.get({
        origin,
        method: 'GET',
        path: '/movie/1',
        headers: { 'accept-language': 'en' },
      })) === undefined;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(await get(two, '/movie/1', 'en')).toBe(first)
    expect(hits - before).toBe(1)
    // Another Vary variant is another entry.
    const french = await get(two, '/movie/1', 'fr')
    expect(french).not.toBe(first)
    expect(hits - before).toBe(2)
    // delete() drops the path for everyone.
    await a.cache.delete({ origin, method: 'GET', path: '/movie/1' })
    await get(two, '/movie/1', 'en')
    expect(hits - before).toBe(3)
  })

  it.skipIf(skip)('a field that is not an entry of ours is a miss, not a failed request', async () => {
    const store = redisStore({
      url: (server as RedisServer).url,
      prefix: `${(server as RedisServer).prefix}cache2:`,
    })
    closing.push(store)
    const { Redis } = await import('ioredis')
    const raw = new Redis((server as RedisServer).url)
    await raw.hset(`${(server as RedisServer).prefix}cache2:cache:${origin}:/movie/3`, 'GET null', 'garbage')
    await raw.quit()
    const before = hits
    const body = await get(instance(store), '/movie/3')
    expect(body).toMatch(/^answer \d+ for \/movie\/3/)
    expect(hits - before).toBe(1)
    expect(store.stats()).toMatchObject({ failedOpen: 0 })
  })

  it('in memory, one instance reuses its own hits with the same wiring', async () => {
    const store = memoryStore()
    const dispatcher = instance(store)
    const before = hits
    const first = await get(dispatcher, '/movie/2')
    expect(await get(dispatcher, '/movie/2')).toBe(first)
    expect(hits - before).toBe(1)
  })
})
