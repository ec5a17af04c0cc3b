import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleWorker } from './support/bundle-worker.js'
import { instances } from './support/instances.js'
import { type RedisServer, redisFaultSkipReason, startRedisServer } from './support/redis-server.js'
import { startUpstream } from './support/upstream.js'

const skip = redisFaultSkipReason()

/** Calls that landed in [from, to), per second. */
const rateBetween = (times: number[], from: number, to: number) =>
  (times.filter((t) => t >= from && t < to).length * 1000) / (to - from)

describe.skipIf(skip)('four processes, Redis killed mid-run and restarted', () => {
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

  it('rate limit: fails open while Redis is gone, limits again once it is back, no process hangs', async () => {
    const rps = 40
    const upstream = await startUpstream((_req, res) => res.end('ok'))
    try {
      const started = Date.now()
      const runs = Promise.all(
        Array.from({ length: 4 }, () =>
          forks.spawn({
            kind: 'rate',
            url: server.url,
            prefix: 'f-rate:',
            upstream: upstream.origin,
            rps,
            seconds: 6,
          }),
        ),
      )
      await sleep(1_500)
      const killedAt = Date.now()
      await server.kill()
      await sleep(1_500)
      await server.restart()
      const restartedAt = Date.now()
      const done = await runs
      // Each exited by itself (not by the 30 s guard): no call hung.
      for (const run of done) expect(run).toMatchObject({ code: 0, signal: null })
      // Each logged the outage once and the recovery once, not a line per failed call.
      for (const { output } of done) {
        expect(output.match(/@mooring\/redis: the (connection|store) failed/g)).toHaveLength(1)
        expect(output).toContain('@mooring/redis: the store answers again')
      }
      const times = upstream.arrivals.map((a) => a.at)
      const end = started + 6_000
      // Limited before the kill.
      expect(rateBetween(times, started + 500, killedAt)).toBeLessThanOrEqual(rps * 1.1)
      // Open while gone: far above the limit (each tries 3N a second).
      expect(rateBetween(times, killedAt + 200, restartedAt)).toBeGreaterThan(rps * 3)
      // Limited again a second after the restart (ioredis reconnects within a second).
      expect(rateBetween(times, restartedAt + 1_500, end - 200)).toBeLessThanOrEqual(rps * 1.1)
      expect(rateBetween(times, restartedAt + 1_500, end - 200)).toBeGreaterThan(rps * 0.5)
    } finally {
      await upstream.close()
    }
  }, 60_000)

  for (const failMode of ['closed', 'open'] as const) {
    it(`once with failMode '${failMode}': every call settles, the mode applied to calls that met the outage`, async () => {
      const effects = new Map<string, number>()
      const upstream = await startUpstream((req, res) => {
        const key = new URL(req.url ?? '/', 'http://x').searchParams.get('key') ?? ''
        effects.set(key, (effects.get(key) ?? 0) + 1)
        setTimeout(() => res.end(`${key} done`), 400)
      })
      try {
        const prefix = `f-once-${failMode}:`
        const runs = Promise.all(
          Array.from({ length: 4 }, () =>
            forks.spawn({
              kind: 'once',
              url: server.url,
              prefix,
              upstream: upstream.origin,
              calls: 250,
              keys: 100,
              failMode,
            }),
          ),
        )
        // While the first runs hold their locks and the duplicates poll.
        for (let i = 0; i < 100 && upstream.arrivals.length === 0; i++) await sleep(20)
        await sleep(100)
        await server.kill()
        await sleep(800)
        await server.restart()
        const done = await runs
        for (const run of done) expect(run).toMatchObject({ code: 0, signal: null })
        for (const { output } of done)
          expect(output).toMatch(/@mooring\/redis: the (connection|store) failed/)
        const results = done.flatMap((run) => {
          const report = run.reports.find((r) => r.kind === 'once-done')
          return report?.kind === 'once-done' ? report.results : []
        })
        expect(results).toHaveLength(1000)
        const errors = results.filter((r) => r.error).map((r) => r.error)
        const unguarded = results.filter((r) => (r.value as { guarded?: boolean } | null)?.guarded === false)
        if (failMode === 'closed') {
          // Refused rather than run unguarded.
          expect(errors.length).toBeGreaterThan(0)
          expect(new Set(errors)).toEqual(new Set(['StoreUnavailableError']))
          expect(unguarded).toEqual([])
        } else {
          // Run unguarded rather than refused.
          expect(errors).toEqual([])
          expect(unguarded.length).toBeGreaterThan(0)
        }
      } finally {
        await upstream.close()
      }
    }, 60_000)
  }
})
