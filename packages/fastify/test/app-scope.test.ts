import type { MooringClient } from '@mooring/core'
import { mooring } from '@mooring/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { sleep, startUpstream, type Upstream } from '../../core/test/support/upstream.js'
import { getJson, inBatches, listen, send, waitFor } from './support/http.js'

let upstream: Upstream
let app: FastifyInstance

afterEach(async () => {
  await app?.close()
  await upstream?.close()
})

describe("scope: 'app'", () => {
  it('shares one pool across 200 requests and closes it when the app closes', async () => {
    upstream = await startUpstream()
    app = Fastify()
    await app.register(mooring, { baseUrl: upstream.url, scope: 'app', limits: { connections: 4 } })
    app.get('/proxy/:i', async (request) => {
      const res = await request.http.get(`/item/${(request.params as { i: string }).i}`)
      const echoed = await res.json<{ url: string }>()
      return { url: echoed.url, sameClient: request.http === app.http }
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
    expect(app.mooring.binding().stats().scopesOpened).toBe(0)

    const client: MooringClient = app.http
    await app.close()
    expect(client.closed).toBe(true)
    await upstream.waitForOpen(0)
  })

  it('lets an in-flight request finish before closing the client at shutdown', async () => {
    let upstreamGotRequest = false
    upstream = await startUpstream(async (_req, res) => {
      upstreamGotRequest = true
      await sleep(200)
      res.end('late but whole')
    })
    app = Fastify()
    await app.register(mooring, { baseUrl: upstream.url, scope: 'app' })
    app.get('/slow', async (request) => (await request.http.get('/slow')).text())
    const base = await listen(app)

    const pending = send(`${base}/slow`)
    await waitFor(() => upstreamGotRequest, 'the upstream to receive the call')
    const closing = app.close()

    expect(await pending).toEqual({ status: 200, text: 'late but whole' })
    await closing
    expect(app.http.closed).toBe(true)
    await upstream.waitForOpen(0)
  })

  it('does not close a client it was given', async () => {
    upstream = await startUpstream()
    const { createClient } = await import('@mooring/core')
    const given = createClient({ baseUrl: upstream.url })
    app = Fastify()
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
