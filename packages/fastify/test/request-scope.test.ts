import type { IncomingMessage } from 'node:http'
import { AbortError, type MooringClient } from '@mooring/core'
import { DownstreamClosedError, mooring } from '@mooring/fastify'
import { describe, expect, it } from 'vitest'
import { inBatches, waitFor } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import { getJson, send } from '../../core/test/support/http.js'
import { fastify, listen } from './support/http.js'

describe("scope: 'request' over the shared pool", () => {
  it('gives each request its own client over one pool, closed at teardown', async () => {
    const upstream = await fixture.upstream()
    const app = fastify()
    await app.register(mooring, { baseUrl: upstream.url, limits: { connections: 4 } })
    const seen: MooringClient[] = []
    app.get('/proxy/:i', async (request) => {
      seen.push(request.http)
      const res = await request.http.get(`/item/${(request.params as { i: string }).i}`)
      return { url: (await res.json<{ url: string }>()).url, own: request.http !== app.mooring.get().client }
    })
    const base = await listen(app)

    const results = await inBatches(200, 20, (i) =>
      getJson<{ url: string; own: boolean }>(`${base}/proxy/${i}`),
    )

    results.forEach(({ status, body }, i) => {
      expect(status).toBe(200)
      expect(body).toEqual({ url: `/item/${i}`, own: true })
    })
    expect(new Set(seen).size).toBe(200)
    expect(upstream.requests).toHaveLength(200)
    expect(upstream.connections).toBeGreaterThan(0)
    expect(upstream.connections).toBeLessThanOrEqual(4)
    const registration = app.mooring.get()
    await waitFor(() => registration.stats().scopesClosed === 200, 'every scope to be closed')
    expect(registration.stats().scopesOpened).toBe(200)
    expect(seen.every((client) => client.closed)).toBe(true)
    expect(app.mooring.get().client.closed).toBe(false)
  })

  it('closes the scope when the handler throws, and aborts what it left in flight', async () => {
    const abandoned: IncomingMessage[] = []
    const upstream = await fixture.upstream((req) => {
      // Never answers: the call is still in flight when the handler fails.
      abandoned.push(req)
    })
    const app = fastify()
    await app.register(mooring, { baseUrl: upstream.url })
    const outcomes: Array<Promise<unknown>> = []
    app.get('/fails', async (request) => {
      outcomes.push(request.http.get('/never').catch((err: unknown) => err))
      await waitFor(() => abandoned.length === outcomes.length, 'the upstream to see the call')
      throw new Error('handler failed')
    })
    const base = await listen(app)

    const results = await inBatches(10, 5, () => send(`${base}/fails`))

    expect(results.map((r) => r.status)).toEqual(Array(10).fill(500))
    const registration = app.mooring.get()
    await waitFor(() => registration.stats().scopesClosed === 10, 'every scope to be closed')
    expect(registration.stats().scopesOpened).toBe(10)
    for (const outcome of await Promise.all(outcomes)) expect(outcome).toBeInstanceOf(AbortError)
    // Each abandoned call's connection was cut (the pool may open a fresh idle one in its place).
    await waitFor(() => abandoned.every((req) => req.socket.destroyed), 'the abandoned connections to close')
  })

  it("closes the scope when Fastify times the handler out (the route's handlerTimeout)", async () => {
    const abandoned: IncomingMessage[] = []
    const upstream = await fixture.upstream((req) => {
      abandoned.push(req)
    })
    const app = fastify()
    await app.register(mooring, { baseUrl: upstream.url })
    let failure: unknown
    app.get('/stuck', { handlerTimeout: 100 }, async (request) => {
      try {
        return await (await request.http.get('/never')).text()
      } catch (err) {
        failure = err
        throw err
      }
    })
    const base = await listen(app)

    expect((await send(`${base}/stuck`)).status).toBe(503)

    const registration = app.mooring.get()
    await waitFor(() => registration.stats().scopesClosed === 1, 'the scope to be closed')
    await waitFor(() => failure !== undefined, 'the handler to see its call aborted')
    expect(failure).toBeInstanceOf(AbortError)
    await waitFor(() => abandoned[0]?.socket.destroyed === true, 'the upstream connection to close')
  })

  it('aborts the upstream call when the downstream client disconnects mid-request', async () => {
    let upstreamSawClose: () => void = () => {}
    const upstreamClosed = new Promise<void>((resolve) => {
      upstreamSawClose = resolve
    })
    const upstream = await fixture.upstream((req) => {
      req.socket.once('close', () => upstreamSawClose())
    })
    const app = fastify()
    await app.register(mooring, { baseUrl: upstream.url })
    let failure: unknown
    app.get('/slow', async (request) => {
      try {
        return await (await request.http.get('/slow')).text()
      } catch (err) {
        failure = err
        throw err
      }
    })
    const base = await listen(app)

    const controller = new AbortController()
    const downstream = send(`${base}/slow`, { signal: controller.signal }).catch((err: unknown) => err)
    await waitFor(() => upstream.requests.length === 1, 'the upstream to receive the call')
    controller.abort()

    const within = new Promise<'timeout'>((resolve) => setTimeout(resolve, 1_000, 'timeout')).then((v) => v)
    expect(await Promise.race([upstreamClosed.then(() => 'closed' as const), within])).toBe('closed')
    expect((await downstream) as Error).toMatchObject({ name: 'AbortError' })
    await waitFor(() => failure !== undefined, 'the handler to see the failure')
    expect(failure).toBeInstanceOf(AbortError)
    expect((failure as AbortError).cause).toBeInstanceOf(DownstreamClosedError)
    const registration = app.mooring.get()
    await waitFor(() => registration.stats().scopesClosed === 1, 'the scope to be closed')
  })
})

describe("pool: 'isolated'", () => {
  it("closes each request's pool at teardown", async () => {
    const upstream = await fixture.upstream()
    const app = fastify()
    await app.register(mooring, {
      baseUrl: upstream.url,
      pool: 'isolated',
      requestLimits: { connections: 1 },
    })
    const dispatchers = new Set<unknown>()
    app.get('/twice', async (request) => {
      dispatchers.add(request.http.dispatcher)
      await (await request.http.get('/a')).text()
      await (await request.http.get('/b')).text()
      return { isolated: request.http.dispatcher !== app.mooring.get().client.dispatcher }
    })
    const base = await listen(app)

    const results = await inBatches(10, 5, () => getJson<{ isolated: boolean }>(`${base}/twice`))

    expect(results.every((r) => r.status === 200 && r.body.isolated)).toBe(true)
    expect(dispatchers.size).toBe(10)
    expect(upstream.requests).toHaveLength(20)
    // One connection per request's pool (limit 1), reused for its second call.
    expect(upstream.connections).toBe(10)
    const registration = app.mooring.get()
    await waitFor(() => registration.stats().scopesClosed === 10, 'every scope to be closed')
    expect(registration.stats().scopesOpened).toBe(10)
    // Closed pools, while the app (and its shared pool) is still up.
    await upstream.waitForOpen(0)
    expect(app.mooring.get().client.closed).toBe(false)
  })
})
