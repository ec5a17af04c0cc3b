import { createClient, type MooringClient } from '@mooring/core'
import { appTransport, type MockHandler, mockTransport } from '@mooring/core/testing'
import { type FakeTmdb, SHOWS, startFakeTmdb } from '@mooring/example-fake-tmdb'
import type { HonoMooring } from '@mooring/hono'
import { afterEach, describe, expect, it } from 'vitest'
import { type AppOptions, createApp } from '../src/app.js'

let fake: FakeTmdb | undefined
let http: HonoMooring | undefined
let caller: MooringClient | undefined

afterEach(async () => {
  await caller?.close()
  await http?.close()
  await fake?.close()
  caller = http = fake = undefined
})

/** The app, called in process through appTransport (a fetch handler): no socket in between. */
function inProcess(options: AppOptions): MooringClient {
  const created = createApp(options)
  http = created.http
  const app = created.app
  // retry: false, so the test sees each answer of the app as it is.
  caller = createClient({ baseUrl: 'http://hono.test', transport: appTransport(app), retry: false })
  return caller
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  for (const started = Date.now(); !predicate(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() - started > 2_000) throw new Error(`timed out waiting for ${what}`)
  }
}

const titled = (query: string) =>
  SHOWS.filter((show) => show.name.toLowerCase().includes(query)).map((show) => ({
    id: show.id,
    title: show.name,
  }))

describe.each(['request', 'app'] as const)('GET /movies/search in %s scope, against fake-tmdb', (scope) => {
  it('answers [{ id, title }] and lets go of every upstream socket at close', async () => {
    fake = await startFakeTmdb()
    const client = inProcess({ tmdb: fake, scope })

    const res = await client.get('/movies/search', { query: { q: 'harbor' } })

    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(titled('harbor').slice(0, 20))
    expect(fake.stats()).toMatchObject({ ok: 1, unauthorized: 0 })
    const registration = http!
    await until(
      () => registration.stats().scopesClosed === (scope === 'request' ? 1 : 0),
      'the scope to close',
    )
    expect(registration.stats().scopesOpened).toBe(scope === 'request' ? 1 : 0)
    expect(fake.open).toBe(1)
    await http!.close()
    expect(await fake.waitForOpen(0)).toBe(true)
  })

  it('answers 400 without q, calling nobody', async () => {
    fake = await startFakeTmdb()
    const client = inProcess({ tmdb: fake, scope })
    expect((await client.get('/movies/search')).status).toBe(400)
    expect((await client.get('/movies/search', { query: { q: ' ' } })).status).toBe(400)
    expect(fake.stats().requests).toBe(0)
  })
})

describe('with a mock TMDB (mockTransport as the plugin transport)', () => {
  const tmdb = { baseUrl: 'https://api.themoviedb.org/3', apiKey: 'read-token' }
  const page: MockHandler = () => ({ json: { page: 1, results: [{ id: 7, name: 'The Harbor' }] } })

  it('maps the search, with the token and, in request scope, the inbound x-request-id', async () => {
    const transport = mockTransport(page)
    const res = await inProcess({ tmdb, transport }).get('/movies/search', {
      query: { q: 'the harbor' },
      headers: { 'x-request-id': 'req-42' },
    })

    expect(await res.json()).toEqual([{ id: 7, title: 'The Harbor' }])
    expect(transport.calls).toHaveLength(1)
    expect(transport.calls[0]).toMatchObject({
      method: 'GET',
      url: 'https://api.themoviedb.org/3/search/tv?query=the+harbor',
      headers: { authorization: 'Bearer read-token', 'x-request-id': 'req-42' },
    })
  })

  it('sends no inbound header in app scope: the app client is shared by every request', async () => {
    const transport = mockTransport(page)
    const client = inProcess({ tmdb, transport, scope: 'app' })
    await (await client.get('/movies/search', { query: { q: 'x' }, headers: { 'x-request-id': 'r' } })).dump()
    expect(transport.calls[0].headers['x-request-id']).toBeUndefined()
    expect(http!.current()).toBe(http!.client)
  })

  it('retries TMDB 503s, then answers 502 with what happened upstream', async () => {
    const transport = mockTransport(() => ({ status: 503, headers: { 'retry-after': '0' }, json: {} }))
    const res = await inProcess({ tmdb, transport }).get('/movies/search', { query: { q: 'harbor' } })

    expect(res.status).toBe(502)
    expect(await res.json()).toEqual({
      error: 'the TMDB search failed',
      code: 'MOORING_HTTP_STATUS',
      upstreamStatus: 503,
      attempts: 3,
    })
    expect(transport.calls).toHaveLength(3)
  })
})
