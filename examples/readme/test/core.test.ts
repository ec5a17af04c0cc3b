import { type FakeTmdb, startFakeTmdb } from '@mooring/example-fake-tmdb'
import { afterEach, describe, expect, it } from 'vitest'
import { searchWorker } from '../src/core.js'

let fake: FakeTmdb | undefined

afterEach(async () => {
  await fake?.close()
  fake = undefined
})

describe("the README's core sample", () => {
  it('serves jobs through scopes of one pool and closes every socket at shutdown', async () => {
    fake = await startFakeTmdb()
    const worker = searchWorker(fake.baseUrl, fake.apiKey)

    const pages = await Promise.all(
      ['harbor', 'tide', 'anchor'].map((query, i) => worker.handle({ id: `job-${i}`, query })),
    )
    expect(pages.every((page) => page.results.length > 0)).toBe(true)
    expect(worker.stats().origins[fake.origin]).toMatchObject({ done: 3, inFlight: 0 })
    expect(fake.connections).toBe(3)
    await worker.close()
    expect(await fake.waitForOpen(0)).toBe(true)
  })

  it("aborts a job's call when its signal fires", async () => {
    fake = await startFakeTmdb({ latency: [500, 500] })
    const worker = searchWorker(fake.baseUrl, fake.apiKey)
    const abort = new AbortController()
    const job = worker.handle({ id: 'slow', query: 'harbor' }, abort.signal)
    setTimeout(() => abort.abort(new Error('job cancelled')), 20)
    await expect(job).rejects.toMatchObject({ name: 'AbortError' })
    await worker.close()
    expect(await fake.waitForOpen(0)).toBe(true)
  })
})
