import { HttpStatusError } from '@mooring/core'
import { type FakeTmdb, startFakeTmdb } from '@mooring/example-fake-tmdb'
import { Agent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { createTmdb, searchWithFetch, searchWithMooring } from '../src/from-fetch.js'
import { mooringTmdb, tmdbOverAgent, undiciTmdb } from '../src/from-undici.js'

// The README's migrations, before and after, against fake-tmdb: same answers, and what changes.

let fake: FakeTmdb | undefined
const cleanup: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const close of cleanup.splice(0)) await close()
  await fake?.close()
  fake = undefined
})

describe('from fetch', () => {
  it('gives the same shows', async () => {
    fake = await startFakeTmdb()
    const tmdb = createTmdb(fake.baseUrl, fake.apiKey)
    cleanup.push(() => tmdb.close())

    const before = await searchWithFetch(fake.baseUrl, fake.apiKey, 'harbor')
    expect(before.results.length).toBeGreaterThan(1)
    expect(await searchWithMooring(tmdb, 'harbor')).toEqual(before)
  })

  it('retries what fetch gives up on, and still fails loudly when TMDB keeps failing', async () => {
    fake = await startFakeTmdb({ failRate: 1, retryAfter: 0 })
    const tmdb = createTmdb(fake.baseUrl, fake.apiKey)
    cleanup.push(() => tmdb.close())

    await expect(searchWithFetch(fake.baseUrl, fake.apiKey, 'harbor')).rejects.toThrow('TMDB answered 503')
    expect(fake.stats().unavailable).toBe(1)
    const err = await searchWithMooring(tmdb, 'harbor').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HttpStatusError)
    expect(err).toMatchObject({ status: 503, attempts: 3 })
    expect(fake.stats().unavailable).toBe(4)
  })
})

describe('from undici', () => {
  it('gives the same shows, and closing lets go of every socket', async () => {
    fake = await startFakeTmdb()
    const before = undiciTmdb(fake.origin, fake.apiKey)
    const after = mooringTmdb(fake.origin, fake.apiKey)

    const shows = await before.search('tide')
    expect(shows.results.length).toBeGreaterThan(1)
    expect(await after.search('tide')).toEqual(shows)
    expect(fake.open).toBe(2)
    await before.close()
    await after.close()
    expect(await fake.waitForOpen(0)).toBe(true)
  })

  it('sends through a Dispatcher you already have, and closes it when told to', async () => {
    fake = await startFakeTmdb()
    const agent = new Agent({ connections: 2 })
    const tmdb = tmdbOverAgent(fake.origin, fake.apiKey, agent)

    expect((await tmdb.search('anchor')).results.length).toBeGreaterThan(0)
    expect(agent.closed).toBe(false)
    await tmdb.close()
    expect(agent.closed).toBe(true)
    expect(await fake.waitForOpen(0)).toBe(true)
  })
})
