import express from 'express'
import { describe, expect, it } from 'vitest'
import { inBatches, waitFor } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import { register, serve } from './support/serve.js'

describe("pool: 'isolated'", () => {
  it("gives each request a pool of its own and closes it at teardown, while the app's pool stays open", async () => {
    const upstream = await fixture.upstream()
    const registration = register({
      baseUrl: upstream.url,
      pool: 'isolated',
      requestLimits: { connections: 1 },
    })
    const app = express()
    app.use(registration.middleware)
    app.get('/twice', async (req, res) => {
      // Two calls in a row: the request's own pool keeps its one connection for both.
      await (await req.http.get('/first')).dump()
      await (await req.http.get('/second')).dump()
      res.json({ ownPool: req.http.dispatcher !== registration.client.dispatcher })
    })
    const served = await serve(app)
    const base = served.url

    const results = await inBatches(10, 5, async () => (await fetch(`${base}/twice`)).json())

    expect(results).toEqual(Array.from({ length: 10 }, () => ({ ownPool: true })))
    expect(upstream.requests).toHaveLength(20)
    expect(upstream.connections).toBe(10)
    // Keep-alive would hold these for seconds: they close now only because each pool was closed.
    await upstream.waitForOpen(0)
    await waitFor(() => registration.stats().scopesClosed === 10, 'ten scopes closed')
    expect(registration.stats().scopesOpened).toBe(10)
    expect(registration.client.closed).toBe(false)
    expect(registration.client.stats().origins[upstream.url]?.open ?? 0).toBe(0)
  })
})
