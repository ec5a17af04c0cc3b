import { request as httpRequest, Agent } from 'node:http'
import { createClient, type MooringClient } from '@mooring/core'
import { afterEach, describe, expect, it } from 'vitest'
import {
  FAKE_TMDB_KEY,
  type FakeTmdb,
  type FakeTmdbOptions,
  optionsFromEnv,
  SHOWS,
  startFakeTmdb,
  type TmdbSearchPage,
  tmdbFromEnv,
} from '../index.mjs'

let fake: FakeTmdb | undefined
let client: MooringClient | undefined

afterEach(async () => {
  await client?.close()
  await fake?.close()
  client = fake = undefined
})

async function start(options?: FakeTmdbOptions): Promise<FakeTmdb> {
  fake = await startFakeTmdb(options)
  return fake
}

/** A GET on its own connection, closed with the response. */
async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers: { connection: 'close', ...headers } })
  return { status: res.status, headers: res.headers, body: await res.json() }
}

describe('fake-tmdb search', () => {
  it('answers /3/search/tv to a Bearer token or an api_key, with TMDB-shaped pages', async () => {
    const { baseUrl: url } = await start()
    const bearer = await get(`${url}/search/tv?query=harbor`, { authorization: `Bearer ${FAKE_TMDB_KEY}` })
    const apiKey = await get(`${url}/search/tv?query=HARBOR&api_key=${FAKE_TMDB_KEY}`)

    expect(bearer.status).toBe(200)
    expect(apiKey.body).toEqual(bearer.body)
    const page = bearer.body as TmdbSearchPage
    const expected = SHOWS.filter((show) => show.name.toLowerCase().includes('harbor'))
    expect(expected.length).toBeGreaterThan(1)
    expect(page).toMatchObject({ page: 1, total_results: expected.length, total_pages: 1 })
    expect(page.results.map((show) => show.id)).toEqual(expected.map((show) => show.id))
    expect(page.results[0]).toMatchObject({ id: expect.any(Number), name: expect.stringMatching(/harbor/i) })
  })

  it('pages by 20, and refuses a page TMDB would refuse', async () => {
    const { baseUrl: url } = await start()
    const auth = { authorization: `Bearer ${FAKE_TMDB_KEY}` }
    const all = SHOWS.filter((show) => show.name.toLowerCase().includes('the'))
    expect(all.length).toBeGreaterThan(20)

    const second = (await get(`${url}/search/tv?query=the&page=2`, auth)).body as TmdbSearchPage
    expect(second.page).toBe(2)
    expect(second.total_pages).toBe(Math.ceil(all.length / 20))
    expect(second.results.map((show) => show.id)).toEqual(all.slice(20, 40).map((show) => show.id))
    expect((await get(`${url}/search/tv?query=the&page=0`, auth)).status).toBe(400)
  })

  it('answers 401 without the key and 404 elsewhere, and counts them', async () => {
    const fake = await start({ apiKey: 'secret' })
    expect((await get(`${fake.baseUrl}/search/tv?query=harbor`)).body).toMatchObject({ status_code: 7 })
    expect((await get(`${fake.baseUrl}/search/tv?query=harbor&api_key=wrong`)).status).toBe(401)
    expect((await get(`${fake.baseUrl}/movie/1`, { authorization: 'Bearer secret' })).status).toBe(404)
    expect(fake.stats()).toMatchObject({ requests: 3, unauthorized: 2, ok: 0 })
  })
})

describe('fake-tmdb faults', () => {
  it('answers a share of requests 503 with one of the Retry-After values', async () => {
    const fake = await start({ failRate: 1, retryAfter: [0, 1] })
    const seen = new Set<string | null>()
    for (let i = 0; i < 12; i++) {
      const res = await get(`${fake.baseUrl}/search/tv?query=harbor`, {
        authorization: `Bearer ${FAKE_TMDB_KEY}`,
      })
      expect(res.status).toBe(503)
      seen.add(res.headers.get('retry-after'))
    }
    expect([...seen].every((value) => value === '0' || value === '1')).toBe(true)
    expect(fake.stats().unavailable).toBe(12)
  })

  it('makes a Mooring client retry its 503s, honouring Retry-After', async () => {
    const fake = await start({ failRate: 1, retryAfter: 0 })
    client = createClient({ baseUrl: fake.baseUrl, headers: { authorization: `Bearer ${fake.apiKey}` } })
    const res = await client.get('/search/tv', { query: { query: 'harbor' } })
    expect(res.status).toBe(503)
    expect(res.retries.map((r) => r.reason)).toEqual(['status:503', 'status:503'])
    expect(fake.stats().unavailable).toBe(3)
  })

  it('drops requests on reused keep-alive connections, never on a fresh one', async () => {
    const fake = await start({ dropRate: 1 })
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const send = () =>
      new Promise<number | string>((resolve) => {
        const req = httpRequest(
          `${fake.baseUrl}/search/tv?query=harbor&api_key=${FAKE_TMDB_KEY}`,
          { agent },
          (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          },
        )
        req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
        req.end()
      })
    try {
      expect(await send()).toBe(200)
      expect(await send()).toBe('ECONNRESET')
      expect(fake.stats()).toMatchObject({ requests: 2, ok: 1, dropped: 1, connections: 1 })
    } finally {
      agent.destroy()
    }
  })

  it('shows a Mooring client replaying a request that met a dropped keep-alive connection', async () => {
    const fake = await start({ dropRate: 1 })
    client = createClient({
      baseUrl: fake.baseUrl,
      headers: { authorization: `Bearer ${fake.apiKey}` },
      limits: { connections: 1 },
    })
    for (let i = 0; i < 4; i++) {
      const res = await client.get('/search/tv', { query: { query: 'harbor' } })
      expect(res.status).toBe(200)
      await res.json()
      expect(res.attempts).toBe(i === 0 ? 1 : 2)
    }
    expect(client.stats().origins[fake.origin].retries).toEqual({ 'stale-connection': 3 })
    expect(fake.stats()).toMatchObject({ dropped: 3, ok: 4, connections: 4 })
  })

  it('adds latency within the bounds given', async () => {
    const fake = await start({ latency: [60, 80] })
    const started = performance.now()
    expect((await get(`${fake.baseUrl}/search/tv?query=harbor&api_key=${FAKE_TMDB_KEY}`)).status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(55)
  })
})

describe('fake-tmdb connections', () => {
  it('counts connections opened and open, down to 0 once a client closes', async () => {
    const fake = await start()
    client = createClient({ baseUrl: fake.baseUrl, headers: { authorization: `Bearer ${fake.apiKey}` } })
    await Promise.all(
      Array.from({ length: 3 }, async () =>
        (await client!.get('/search/tv', { query: { query: 'tide' } })).json(),
      ),
    )
    expect(fake.connections).toBe(3)
    expect(await fake.waitForOpen(3)).toBe(true)
    await client.close()
    expect(await fake.waitForOpen(0)).toBe(true)
    expect(fake.stats()).toMatchObject({ connections: 3, open: 0, ok: 3 })
  })

  it('reports false when the count is not reached in time', async () => {
    const fake = await start()
    expect(await fake.waitForOpen(1, 50)).toBe(false)
  })
})

describe('fake-tmdb options', () => {
  it('names the option and the value when one is wrong', async () => {
    await expect(startFakeTmdb({ failRate: 2 })).rejects.toThrow(
      'fake-tmdb: failRate: expected a share from 0 to 1, got 2',
    )
    await expect(startFakeTmdb({ latency: [10, 5] })).rejects.toThrow(/latency/)
    await expect(startFakeTmdb({ retryAfter: -1 })).rejects.toThrow(/retryAfter/)
    await expect(startFakeTmdb({ colour: 'red' } as FakeTmdbOptions)).rejects.toThrow(/colour/)
  })

  it('reads its switches from the environment', () => {
    expect(
      optionsFromEnv({
        FAKE_TMDB_PORT: '4100',
        FAKE_TMDB_LATENCY_MS: '2-10',
        FAKE_TMDB_FAIL_RATE: '0.03',
        FAKE_TMDB_RETRY_AFTER: '0,1',
        FAKE_TMDB_DROP_RATE: '0.1',
      }),
    ).toEqual({ port: 4100, latency: [2, 10], failRate: 0.03, retryAfter: [0, 1], dropRate: 0.1 })
    expect(optionsFromEnv({ FAKE_TMDB_LATENCY_MS: '5' })).toEqual({ latency: [5, 5] })
    expect(() => optionsFromEnv({ FAKE_TMDB_FAIL_RATE: 'lots' })).toThrow(/FAKE_TMDB_FAIL_RATE/)
  })

  it('tmdbFromEnv starts a fake unless TMDB_BASE_URL is set', async () => {
    const local = await tmdbFromEnv({})
    try {
      expect(local).toMatchObject({ fake: true, apiKey: FAKE_TMDB_KEY })
      const res = await get(`${local.baseUrl}/search/tv?query=harbor&api_key=${local.apiKey}`)
      expect(res.status).toBe(200)
    } finally {
      await local.close()
    }
    const real = await tmdbFromEnv({ TMDB_BASE_URL: 'https://api.themoviedb.org/3', TMDB_API_KEY: 'token' })
    expect(real).toMatchObject({ fake: false, baseUrl: 'https://api.themoviedb.org/3', apiKey: 'token' })
    await expect(tmdbFromEnv({ TMDB_BASE_URL: 'https://api.themoviedb.org/3' })).rejects.toThrow(
      /TMDB_API_KEY/,
    )
  })
})
