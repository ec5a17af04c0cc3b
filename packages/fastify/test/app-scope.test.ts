import type { MooringClient } from '@mooring/core'
import { mooring } from '@mooring/fastify'
import { describe, expect, it } from 'vitest'
import { inBatches, sleep, waitFor } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import { getJson, send } from '../../core/test/support/http.js'
import { fastify, listen } from './support/http.js'

describe("scope: 'app'", () => {
  it('shares one pool across 200 requests and closes it when the app closes', async () => {
    const upstream = await fixture.upstream()
    const app = fastify()
    await app.register(mooring, { baseUrl: upstream.url, scope: 'app', limits: { connections: 4 } })
    app.get('/proxy/:i', async (request) => {
      const res = await request.http.get(`/item/${(request.params as { i: string }).i}`)
      const echoed = await res.json<{ url: string }>()
      return { url: echoed.url, sameClient: request.http === app.mooring.get().client }
    })
    const base = await listen(app)

    const results = await inBatches(200, 20, (i) =>
      getJson<{ url: string; sameClient: boolean }>(`${base}/proxy/${i}`),
    )

    results.forEach(({ status, body }, i) => {
      expect(status).toBe(200)
      expect(body).toEqual({ url: `/item/${i}`, sameClient: true })
    })
    expect(upstream.requests).toHaveLength(200)
    expect(upstream.connections).toBeGreaterThan(0)
    expect(upstream.connections).toBeLessThanOrEqual(4)
    expect(app.mooring.get().stats().scopesOpened).toBe(0)

    const client: MooringClient = app.mooring.get().client
    await app.close()
    expect(client.closed).toBe(true)
    await upstream.waitForOpen(0)
  })

  it('lets an in-flight request finish before closing the client at shutdown', async () => {
    let upstreamGotRequest = false
    const upstream = await fixture.upstream(async (_req, res) => {
      upstreamGotRequest = true
      await sleep(200)
      res.end('late but whole')
    })
    const app = fastify()
    await app.register(mooring, { baseUrl: upstream.url, scope: 'app' })
    app.get('/slow', async (request) => (await request.http.get('/slow')).text())
    const base = await listen(app)

    const pending = send(`${base}/slow`)
    await waitFor(() => upstreamGotRequest, 'the upstream to receive the call')
    const closing = app.close()

    expect(await pending).toEqual({ status: 200, text: 'late but whole' })
    await closing
    expect(app.mooring.get().client.closed).toBe(true)
    await upstream.waitForOpen(0)
  })

  it('does not close a client it was given', async () => {
    const upstream = await fixture.upstream()
    const { createClient } = await import('@mooring/core')
    const given = createClient({ baseUrl: upstream.url })
    const app = fastify()
    await app.register(mooring, { client: given, scope: 'app' })
    app.get('/', async (request) => (await request.http.get('/given')).json())
    const base = await listen(app)
    expect((await getJson<{ url: string }>(`${base}/`)).body.url).toBe('/given')
    await app.close()
    expect(given.closed).toBe(false)
    await given.close()
    await upstream.waitForOpen(0)
  })
})
