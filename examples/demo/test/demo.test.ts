import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRegistration } from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { startServer as express } from '../../express/src/server.js'
import { startServer as fastify } from '../../fastify/src/server.js'
import { startServer as hono } from '../../hono/src/server.js'
import { startServer as nest } from '../../nest/src/server.js'
import { report } from '../report.mjs'
import { runDemo, type StartServer } from '../run-demo.mjs'

// The demo's own machinery, on the examples' sources: `pnpm demo` runs the same on the built ones.
const HARSH = { latency: 0, failRate: 0.1, retryAfter: 0, dropRate: 0.15 }

describe('the demo', () => {
  it('runs every example in both scopes through faults, with nothing failed and nothing left open', async () => {
    const examples = [
      { framework: 'express', startServer: express },
      { framework: 'fastify', startServer: fastify },
      { framework: 'hono', startServer: hono },
      { framework: 'nest', startServer: nest },
    ]
    const results = await runDemo({ examples, requests: 40, concurrency: 8, faults: HARSH })

    expect(results.map((r) => `${r.framework}/${r.scope}`)).toEqual(
      examples.flatMap(({ framework }) => [`${framework}/app`, `${framework}/request`]),
    )
    for (const r of results) {
      expect(r.problems).toEqual([])
      expect(r.ok + r.exhausted).toBe(40)
      expect(r.socketsLeft).toBe(0)
      expect(r.scopesClosed).toBe(r.scope === 'request' ? 40 : 0)
      // 40 searches over at most 8 connections at a time, plus the fresh ones replays needed.
      expect(r.connections).toBeLessThanOrEqual(8 + r.dropped)
    }
    const retried = (reason: string) => results.reduce((n, r) => n + (r.retries[reason] ?? 0), 0)
    expect(retried('status:503')).toBeGreaterThan(0)
    expect(retried('stale-connection')).toBeGreaterThan(0)
    const table = report(results)
    expect(table).toMatch(/^framework\s+scope\s+requests\s+succeeded/)
    expect(table.split('\n')).toHaveLength(
      2 + results.length + 2 + (results.some((r) => r.exhausted) ? 1 : 0),
    )
  })

  it('reports an app that leaves its client open, and a search that failed for no upstream reason', async () => {
    const bindings: Array<ReturnType<typeof createRegistration>> = []
    // Serves searches through a Mooring registration, answers the 3rd with a 500, and "forgets" to close
    // the registration at shutdown: its pooled sockets stay open.
    const leaky: StartServer = async ({ tmdb, scope }) => {
      const registration = createRegistration({
        scope,
        baseUrl: tmdb.baseUrl,
        headers: { authorization: `Bearer ${tmdb.apiKey}` },
      })
      bindings.push(registration)
      let served = 0
      const server = createServer(async (req, res) => {
        const client = registration.open({ headers: req.headers })
        try {
          const page = await (await client.get('/search/tv', { query: { query: 'harbor' } })).json<{
            results: Array<{ id: number; name: string }>
          }>()
          res.statusCode = ++served === 3 ? 500 : 200
          res.end(JSON.stringify(page.results.map((show) => ({ id: show.id, title: show.name }))))
        } finally {
          await registration.release(client)
        }
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        stats: () => registration.stats(),
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      }
    }
    try {
      const results = await runDemo({
        examples: [{ framework: 'leaky', startServer: leaky }],
        requests: 10,
        concurrency: 2,
        faults: { latency: 0 },
      })
      for (const r of results) {
        expect(r.socketsLeft).toBeGreaterThan(0)
        expect(r.problems).toContain(`${r.socketsLeft} upstream socket(s) still open after shutdown`)
        expect(r.problems.filter((p) => p.startsWith('a search failed: 500'))).toHaveLength(1)
      }
    } finally {
      await Promise.all(bindings.map((registration) => registration.close()))
    }
  })
})
