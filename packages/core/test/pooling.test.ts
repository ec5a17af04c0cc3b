import { Pool } from 'undici'
import { describe, expect, it, onTestFinished } from 'vitest'
import { client, upstream } from './support/fixtures.js'
import { sleep } from './support/async.js'

describe('connection pooling', () => {
  it('100 sequential calls reuse pooled connections, as a plain undici Pool does', async () => {
    const forMooring = await upstream()
    const forUndici = await upstream()
    const mooring = client({ baseUrl: forMooring.url })
    const pool = new Pool(forUndici.url)
    onTestFinished(() => pool.destroy())

    for (let i = 0; i < 100; i++) {
      const res = await mooring.get(`/n/${i}`)
      expect(res.status).toBe(200)
      expect((await res.json<{ url: string }>()).url).toBe(`/n/${i}`)

      const plain = await pool.request({ method: 'GET', path: `/n/${i}` })
      expect(plain.statusCode).toBe(200)
      await plain.body.json()
    }

    expect(forMooring.requests).toHaveLength(100)
    expect(forUndici.requests).toHaveLength(100)
    expect(forUndici.connections).toBeLessThanOrEqual(2)
    expect(forMooring.connections).toBeLessThanOrEqual(2)
    expect(forMooring.connections).toBeLessThanOrEqual(Math.max(forUndici.connections, 1))
    const stats = mooring.stats().origins[forMooring.url]
    expect(stats).toMatchObject({ inFlight: 0, done: 100, failed: 0 })
    expect(stats.open).toBe(forMooring.open)
  })

  it('50 concurrent calls never open more than limits.connections', async () => {
    let running = 0
    let peakRunning = 0
    const slow = await upstream(async (_req, res) => {
      running++
      peakRunning = Math.max(peakRunning, running)
      await sleep(50)
      running--
      res.end('ok')
    })
    const mooring = client({ baseUrl: slow.url, limits: { connections: 4 } })

    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => mooring.get(`/c/${i}`)))
    const bodies = await Promise.all(responses.map((r) => r.text()))

    expect(bodies).toEqual(Array(50).fill('ok'))
    expect(slow.requests).toHaveLength(50)
    expect(slow.peakOpen).toBeLessThanOrEqual(4)
    expect(slow.connections).toBeLessThanOrEqual(4)
    expect(peakRunning).toBeLessThanOrEqual(4)
    // The pool did run requests side by side: the bound is the limit, not one connection.
    expect(peakRunning).toBeGreaterThan(1)
  })

  it('a burst past the limit queues in the pool and reports it in stats()', async () => {
    const release: Array<() => void> = []
    const held = await upstream((_req, res) => {
      release.push(() => res.end('done'))
    })
    const mooring = client({ baseUrl: held.url, limits: { connections: 2 } })

    const pending = Array.from({ length: 5 }, (_, i) => mooring.get(`/q/${i}`))
    for (let i = 0; i < 100 && held.requests.length < 2; i++) await sleep(10)
    expect(held.requests).toHaveLength(2)
    const stats = mooring.stats()
    expect(stats.inFlight).toBe(5)
    expect(stats.origins[held.url]).toMatchObject({ open: 2, busy: 2, inFlight: 5 })
    expect(stats.origins[held.url].queued).toBe(3)

    let released = 0
    for (let i = 0; i < 200 && released < 5; i++) {
      const next = release.shift()
      if (next === undefined) await sleep(10)
      else {
        next()
        released++
      }
    }
    const texts = await Promise.all(pending.map(async (p) => (await p).text()))
    expect(texts).toEqual(Array(5).fill('done'))
    expect(held.connections).toBe(2)
  })
})
