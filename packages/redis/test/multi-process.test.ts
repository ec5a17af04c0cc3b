import { createClient } from '@mooring/core'
import { redisStore } from '@mooring/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleWorker } from './support/bundle-worker.js'
import { instances } from './support/instances.js'
import { type RedisServer, redisSkipReason, startRedisServer } from './support/redis-server.js'
import { startUpstream } from './support/upstream.js'

const skip = redisSkipReason()

describe.skipIf(skip)('four processes sharing one Redis', () => {
  let server: RedisServer
  let worker: string
  const forks = instances(() => worker)
  beforeAll(async () => {
    ;[server, worker] = await Promise.all([startRedisServer(), bundleWorker()])
  })
  afterAll(async () => {
    forks.killAll()
    await server?.stop()
  })

  const spawnInstance = forks.spawn

  it('one limit of N rps: together at most N per second (±10%), measured at the upstream', async () => {
    const rps = 40
    const seconds = 3
    const upstream = await startUpstream((_req, res) => res.end('ok'))
    try {
      const runs = await Promise.all(
        Array.from({ length: 4 }, () =>
          spawnInstance({
            kind: 'rate',
            url: server.url,
            prefix: `${server.prefix}mp-rate:`,
            upstream: upstream.origin,
            rps,
            seconds,
          }),
        ),
      )
      for (const run of runs) expect(run).toMatchObject({ code: 0, output: '' })
      const done = runs.map((run) => run.reports.find((r) => r.kind === 'rate-done'))
      const attempts = done.reduce((sum, r) => sum + (r?.kind === 'rate-done' ? r.attempts : 0), 0)
      // Each tried 3N a second: 12N a second together.
      expect(attempts).toBeGreaterThan(4 * 3 * rps * seconds * 0.8)
      const times = upstream.arrivals.map((a) => a.at).sort((x, y) => x - y)
      const start = times[0]
      // Every full second from the first arrival.
      for (let from = start; from + 1000 <= times[times.length - 1]; from += 1000) {
        const inWindow = times.filter((t) => t >= from && t < from + 1000).length
        expect(inWindow).toBeLessThanOrEqual(Math.ceil(rps * 1.1))
      }
      const perSecond = (times.length - 1) / ((times[times.length - 1] - start) / 1000)
      expect(perSecond).toBeGreaterThan(rps * 0.9)
      expect(perSecond).toBeLessThan(rps * 1.1)
    } finally {
      await upstream.close()
    }
  })

  // Through @mooring/core's rateLimit option: the client that gets the 429 writes the pause itself.
  it('a 429 with Retry-After seen by one process pauses all of them', async () => {
    const rps = 40
    let refusedAt = 0
    let refusedPid = ''
    const upstream = await startUpstream((req, res, at) => {
      const pid = new URL(req.url ?? '/', 'http://x').searchParams.get('pid') ?? ''
      if (refusedAt === 0 && upstream.arrivals.length === 60) {
        refusedAt = at
        refusedPid = pid
        res.writeHead(429, { 'retry-after': '1' }).end()
        return
      }
      res.end('ok')
    })
    try {
      const runs = await Promise.all(
        Array.from({ length: 4 }, () =>
          spawnInstance({
            kind: 'client-rate',
            url: server.url,
            prefix: `${server.prefix}mp-429:`,
            upstream: upstream.origin,
            rps,
            seconds: 3,
          }),
        ),
      )
      for (const run of runs) expect(run.code).toBe(0)
      expect(refusedAt).toBeGreaterThan(0)
      const pidOf = (url: string) => new URL(url, 'http://x').searchParams.get('pid')
      // Calls admitted before the pause was set may still land in its first moments.
      const duringPause = upstream.arrivals.filter((a) => a.at > refusedAt + 100 && a.at < refusedAt + 900)
      expect(duringPause).toEqual([])
      // After it, the other processes send again: the pause was shared, not a process stopping.
      const after = upstream.arrivals.filter((a) => a.at >= refusedAt + 1000)
      expect(after.some((a) => pidOf(a.url) !== refusedPid)).toBe(true)
      const before = upstream.arrivals.filter((a) => a.at < refusedAt)
      expect(new Set(before.map((a) => pidOf(a.url))).size).toBeGreaterThan(1)
    } finally {
      await upstream.close()
    }
  })

  it('1000 concurrent once() calls over 4 processes and 100 keys: each side effect once, duplicates get its result', async () => {
    const effects = new Map<string, number>()
    const upstream = await startUpstream((req, res) => {
      const key = new URL(req.url ?? '/', 'http://x').searchParams.get('key') ?? ''
      const count = (effects.get(key) ?? 0) + 1
      effects.set(key, count)
      setTimeout(() => res.end(`${key} done #${count}`), 20)
    })
    try {
      const runs = await Promise.all(
        Array.from({ length: 4 }, () =>
          spawnInstance({
            kind: 'once',
            url: server.url,
            prefix: `${server.prefix}mp-once:`,
            upstream: upstream.origin,
            calls: 250,
            keys: 100,
            failMode: 'closed',
          }),
        ),
      )
      const results = runs.flatMap((run) => {
        const report = run.reports.find((r) => r.kind === 'once-done')
        return report?.kind === 'once-done' ? report.results : []
      })
      expect(results).toHaveLength(1000)
      expect(results.filter((r) => r.error).map((r) => r.error)).toEqual([])
      expect(effects.size).toBe(100)
      expect([...effects.values()].every((count) => count === 1)).toBe(true)
      const byKey = new Map<string, string>()
      for (const { key, value } of results) {
        const seen = JSON.stringify(value)
        expect(byKey.get(key) ?? seen).toBe(seen)
        byKey.set(key, seen)
        expect(value).toMatchObject({ upstream: `${key} done #1`, guarded: true })
      }
    } finally {
      await upstream.close()
    }
  })

  it('an instance that crashed mid-POST: the next one runs it as attempt 2 with the same Idempotency-Key, charged once', async () => {
    const charges = new Map<string, string>()
    let posts = 0
    const upstream = await startUpstream((req, res) => {
      posts++
      // The upstream's own idempotency (as Stripe's): the same key gets the same charge.
      const key = String(req.headers['idempotency-key'])
      if (!charges.has(key)) charges.set(key, `ch_${charges.size + 1}`)
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ id: charges.get(key) }))
    })
    const store = redisStore({ url: server.url, prefix: `${server.prefix}mp-crash:` })
    const client = createClient({ baseUrl: upstream.origin })
    try {
      const key = 'order:77:charge'
      await spawnInstance(
        {
          kind: 'hold',
          url: server.url,
          prefix: `${server.prefix}mp-crash:`,
          upstream: upstream.origin,
          key,
          lockTtl: 400,
        },
        (report, child) => {
          if (report.kind === 'holding') child.kill('SIGKILL')
        },
      )
      expect(posts).toBe(1)
      // The crashed holder's lock is still there: this waits, the lock expires, this run takes over.
      const result = await store.once(key, { lockTtl: 400 }, async ({ attempt }) => {
        const response = await client.post('/charge', { headers: { 'idempotency-key': key } })
        return { attempt, charge: ((await response.json()) as { id: string }).id }
      })
      expect(result).toEqual({ attempt: 2, charge: 'ch_1' })
      expect(posts).toBe(2)
      expect(charges.size).toBe(1)
      // And from now on it is done: a third caller gets the stored result without a POST.
      expect(await store.once(key, undefined, () => ({ attempt: 0, charge: 'none' }))).toEqual(result)
      expect(posts).toBe(2)
    } finally {
      await client.close()
      await store.close()
      await upstream.close()
    }
  })
})
