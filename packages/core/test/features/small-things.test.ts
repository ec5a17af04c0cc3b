import { readFileSync } from 'node:fs'
import { TimeoutError, USER_AGENT } from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { nextLink } from '../../src/features/link.js'
import { sleep } from '../support/async.js'
import { fixtures } from '../support/fixtures.js'

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string
}

describe('a default User-Agent', () => {
  it('sends mooring/<version of @mooring/core>', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream()
    expect(USER_AGENT).toBe(`mooring/${version}`)
    await (await client({ baseUrl: up.url }).get('/')).dump()
    expect(up.requests[0]?.headers['user-agent']).toBe(`mooring/${version}`)
  })

  it('is overridden by the client, a scope or a request, and removed with null', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream()
    const own = client({ baseUrl: up.url, headers: { 'User-Agent': 'my-app/1.0' } })
    await (await own.get('/')).dump()
    await (await own.scope({ headers: { 'user-agent': 'scoped/2' } }).get('/')).dump()
    await (await own.get('/', { headers: { 'user-agent': 'call/3' } })).dump()
    await (await client({ baseUrl: up.url, headers: { 'User-Agent': null } }).get('/')).dump()
    expect(up.requests.map((r) => r.headers['user-agent'])).toEqual([
      'my-app/1.0',
      'scoped/2',
      'call/3',
      undefined,
    ])
  })
})

describe('response bodies as web streams, and progress', () => {
  it('response.stream() is a web ReadableStream of the body', async () => {
    const { upstream, client } = fixtures()
    const payload = Buffer.alloc(3 * 1024 * 1024, 7)
    const up = await upstream((_req, res) => res.end(payload))
    const res = await client({ baseUrl: up.url }).get('/big')
    const stream = res.stream()
    expect(stream).toBeInstanceOf(ReadableStream)
    let total = 0
    const reader = stream.getReader()
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      expect(r.value).toBeInstanceOf(Uint8Array)
      total += r.value.byteLength
    }
    expect(total).toBe(payload.length)
    expect(res.bodyUsed).toBe(true)
  })

  it('the README recipe: download and upload progress', async () => {
    const { upstream, client } = fixtures()
    const size = 2 * 1024 * 1024
    const up = await upstream(async (req, res) => {
      let received = 0
      for await (const chunk of req) received += (chunk as Buffer).length
      res.setHeader('content-length', size)
      res.end(Buffer.alloc(size, received % 251))
    })
    const c = client({ baseUrl: up.url })
    // Upload: a body that counts what undici pulls from it.
    const upload = Buffer.alloc(1024 * 1024, 1)
    const sent: number[] = []
    async function* counted(data: Uint8Array, step = 64 * 1024) {
      for (let at = 0; at < data.length; at += step) {
        const chunk = data.subarray(at, at + step)
        yield chunk
        sent.push(at + chunk.length)
      }
    }
    const res = await c.post('/upload', { body: counted(upload) })
    // Download: count the body as it streams.
    const length = Number(res.headers['content-length'])
    const seen: number[] = []
    let received = 0
    for await (const chunk of res.body) {
      received += (chunk as Buffer).length
      seen.push(received / length)
    }
    expect(sent.at(-1)).toBe(upload.length)
    expect(sent.length).toBe(16)
    expect(received).toBe(size)
    expect(seen.at(-1)).toBe(1)
    expect(seen.length).toBeGreaterThan(1)
  })
})

describe('client.paginate over Link: rel="next"', () => {
  it('finds the next link among others, quoted or not, in any case, over repeated headers', () => {
    expect(nextLink('<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last"')).toBe(
      'https://a/x?page=2',
    )
    expect(nextLink('<https://a/1>; rel="prev", <https://a/3>; REL=next')).toBe('https://a/3')
    expect(nextLink(['<https://a/1>; rel="prev"', '<https://a/3>; title="a, b"; rel="prefetch next"'])).toBe(
      'https://a/3',
    )
    expect(nextLink('<https://a/1>; rel="nextish"')).toBeUndefined()
    expect(nextLink(undefined)).toBeUndefined()
    expect(nextLink('garbage')).toBeUndefined()
  })

  async function pagedUpstream(pages: number, delay = 0) {
    const { upstream } = fixtures()
    return upstream(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      const page = Number(url.searchParams.get('page') ?? '1')
      if (delay > 0) await sleep(delay)
      if (page < pages) {
        res.setHeader(
          'link',
          `<${url.pathname}?page=${page + 1}&per_page=2>; rel="next", </items?page=1>; rel="first"`,
        )
      }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ page, items: [page * 2 - 1, page * 2] }))
    })
  }

  it('iterates three pages on a real server, then stops', async () => {
    const up = await pagedUpstream(3)
    const c = fixtures().client({ baseUrl: up.url })
    const items: number[] = []
    for await (const page of c.paginate('/items', { query: { per_page: 2 } })) {
      items.push(...(await page.json<{ items: number[] }>()).items)
    }
    expect(items).toEqual([1, 2, 3, 4, 5, 6])
    expect(up.requests.map((r) => r.url)).toEqual([
      '/items?per_page=2',
      '/items?page=2&per_page=2',
      '/items?page=3&per_page=2',
    ])
    expect(c.stats().inFlight).toBe(0)
  })

  it('stops at maxPages; pages left unread are released', async () => {
    const up = await pagedUpstream(10)
    const c = fixtures().client({ baseUrl: up.url })
    let pages = 0
    for await (const _page of c.paginate('/items', { maxPages: 2 })) pages++
    expect(pages).toBe(2)
    expect(up.requests).toHaveLength(2)
    expect(c.stats().inFlight).toBe(0)
  })

  it('the deadline holds across pages', async () => {
    const up = await pagedUpstream(50, 40)
    const c = fixtures().client({ baseUrl: up.url })
    const seen: number[] = []
    const run = async () => {
      for await (const page of c.paginate('/items', { deadline: Date.now() + 150 })) {
        seen.push((await page.json<{ page: number }>()).page)
      }
    }
    const err = await run().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).phase).toBe('total')
    expect(seen.length).toBeGreaterThanOrEqual(1)
    expect(seen.length).toBeLessThan(50)
  })

  it('a bad maxPages is a ConfigError naming it', async () => {
    const c = fixtures().client({ baseUrl: 'http://127.0.0.1:1' })
    await expect(c.paginate('/x', { maxPages: 0 }).next()).rejects.toThrow(
      /maxPages: expected an integer >= 1/,
    )
  })
})
