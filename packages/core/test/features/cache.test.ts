import { createClient } from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { fixtures } from '../support/fixtures.js'

/** Answers who asked (the credential it got) with the cache-control the path names. */
function cacheable() {
  return fixtures().upstream((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    res.setHeader('cache-control', url.searchParams.get('cc') ?? 'max-age=60')
    if (url.searchParams.has('vary')) res.setHeader('vary', 'accept-language')
    res.end(
      `${req.headers.authorization ?? req.headers.cookie ?? 'anonymous'} ${req.headers['accept-language'] ?? ''}`,
    )
  })
}

describe('HTTP caching, opt-in', () => {
  it('a fresh response is served from the cache; stats() counts hits and misses', async () => {
    const up = await cacheable()
    const c = fixtures().client({ baseUrl: up.url, cache: true })
    expect(await (await c.get('/doc')).text()).toBe('anonymous ')
    expect(await (await c.get('/doc')).text()).toBe('anonymous ')
    expect(await (await c.scope().get('/doc')).text()).toBe('anonymous ')
    expect(up.requests).toHaveLength(1)
    expect(c.stats().cache).toEqual({ hits: 2, misses: 1 })
  })

  it('off by default: every call reaches the upstream, and stats() has no cache', async () => {
    const up = await cacheable()
    const c = fixtures().client({ baseUrl: up.url })
    await (await c.get('/doc')).dump()
    await (await c.get('/doc')).dump()
    expect(up.requests).toHaveLength(2)
    expect(c.stats().cache).toBeUndefined()
  })

  it('a response to one scope’s Authorization is never served to another scope', async () => {
    const up = await cacheable()
    const c = fixtures().client({ baseUrl: up.url, cache: true })
    const alice = c.scope({ headers: { authorization: 'Bearer alice' } })
    const bob = c.scope({ headers: { authorization: 'Bearer bob' } })
    expect(await (await alice.get('/me')).text()).toBe('Bearer alice ')
    expect(await (await bob.get('/me')).text()).toBe('Bearer bob ')
    expect(await (await c.get('/me')).text()).toBe('anonymous ')
    expect(up.requests).toHaveLength(3)
  })

  it('a response to one scope’s cookies is never served to another scope', async () => {
    const up = await cacheable()
    const c = fixtures().client({ baseUrl: up.url, cache: true })
    const alice = c.scope({ headers: { cookie: 'session=alice' } })
    const bob = c.scope({ headers: { cookie: 'session=bob' } })
    expect(await (await alice.get('/me')).text()).toBe('session=alice ')
    expect(await (await bob.get('/me')).text()).toBe('session=bob ')
    expect(await (await c.get('/me')).text()).toBe('anonymous ')
    expect(up.requests).toHaveLength(3)
  })

  it('unless the response is explicitly shared (public or s-maxage)', async () => {
    const up = await cacheable()
    const c = fixtures().client({ baseUrl: up.url, cache: true })
    const alice = c.scope({ headers: { authorization: 'Bearer alice' } })
    const bob = c.scope({ headers: { cookie: 'session=bob' } })
    expect(await (await alice.get('/news?cc=public,max-age=60')).text()).toBe('Bearer alice ')
    expect(await (await bob.get('/news?cc=public,max-age=60')).text()).toBe('Bearer alice ')
    expect(await (await bob.get('/feed?cc=s-maxage=60')).text()).toBe('session=bob ')
    expect(await (await alice.get('/feed?cc=s-maxage=60')).text()).toBe('session=bob ')
    expect(up.requests).toHaveLength(2)
  })

  it('Vary is honoured', async () => {
    const up = await cacheable()
    const c = fixtures().client({ baseUrl: up.url, cache: true })
    const en = { headers: { 'accept-language': 'en' } }
    const fr = { headers: { 'accept-language': 'fr' } }
    expect(await (await c.get('/v?vary', en)).text()).toBe('anonymous en')
    expect(await (await c.get('/v?vary', fr)).text()).toBe('anonymous fr')
    expect(await (await c.get('/v?vary', en)).text()).toBe('anonymous en')
    expect(up.requests).toHaveLength(2)
    expect(c.stats().cache).toEqual({ hits: 1, misses: 2 })
  })

  it('bad options are ConfigErrors naming the field', () => {
    expect(() => createClient({ cache: { methods: ['POST'] } as never })).toThrow(
      /cache\.methods: expected an array of safe methods/,
    )
    expect(() => createClient({ cache: { store: 1 } as never })).toThrow(/cache\.store/)
    expect(() => createClient({ cache: 'yes' as never })).toThrow(
      /cache: expected true, or \{ store\?, methods\? \}/,
    )
  })
})
