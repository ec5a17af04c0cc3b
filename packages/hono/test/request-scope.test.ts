import { AbortError, ConfigError, type MooringClient } from '@mooring/core'
import { DownstreamClosedError } from '@mooring/hono'
import type { HttpBindings } from '@hono/node-server'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { timeout } from 'hono/timeout'
import { beforeEach, describe, expect, it } from 'vitest'
import { deferred, inBatches, sleep, waitFor, within } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import type { HangingUpstream } from '../../core/test/support/upstream.js'
import { register, serveApp } from './support/serve.js'

/** Never answers /hang; answers /slow after 30 ms, the rest at once. */
let upstream: HangingUpstream

beforeEach(async () => {
  upstream = await fixture.hanging((req, res) => {
    setTimeout(() => res.end(JSON.stringify({ url: req.url })), req.url === '/slow' ? 30 : 0)
  })
})

describe("scope: 'request', shared pool", () => {
  it('gives each request its own scope over the app pool, closed at teardown', async () => {
    const http = register({ baseUrl: upstream.url, limits: { connections: 4 } })
    const clients: MooringClient[] = []
    const app = new Hono().use(http.middleware).get('/proxy/:n', async (c) => {
      clients.push(c.var.http)
      const res = await c.var.http.get(`/item/${c.req.param('n')}`)
      return c.json(await res.json())
    })
    const served = await serveApp(app)

    await inBatches(200, 20, async (i) => {
      const res = await fetch(`${served.url}/proxy/${i}`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ url: `/item/${i}` })
    })

    expect(upstream.connections).toBeGreaterThan(0)
    expect(upstream.connections).toBeLessThanOrEqual(4)
    expect(new Set(clients).size).toBe(200)
    expect(clients).not.toContain(http.client)
    await waitFor(() => http.stats().scopesClosed === 200, 'every scope to be released')
    expect(http.stats()).toMatchObject({ scopesOpened: 200, scopesClosed: 200, inFlight: 0 })
    expect(clients.every((client) => client.closed)).toBe(true)
    // The shared pool outlives the scopes; it goes at shutdown.
    expect(upstream.open).toBeGreaterThan(0)
    expect(http.client.closed).toBe(false)

    await served.close()
    await http.close()
    await upstream.waitForOpen(0)
  })

  it('closes the scope when the handler throws, aborting what it left in flight', async () => {
    const http = register({ baseUrl: upstream.url })
    let leftBehind: Promise<unknown> | undefined
    // An Error is caught by hono and answered by onError; anything else propagates out of the app.
    const app = new Hono()
      .onError((_err, c) => c.text('failed', 500))
      .use(http.middleware)
      .get('/throws', async (c) => {
        await c.var.http.get('/slow')
        throw new Error('handler failed')
      })
      .get('/throws-with-call-in-flight', async (c) => {
        leftBehind = c.var.http.get('/hang').catch((err: unknown) => err)
        await upstream.hungCount(1)
        throw new Error('handler failed')
      })
      .get('/throws-a-string', () => {
        throw 'not an Error'
      })
    const served = await serveApp(app)

    for (const path of ['/throws', '/throws', '/throws-a-string']) {
      const res = await fetch(served.url + path)
      expect(res.status).toBe(500)
      await res.arrayBuffer()
    }
    const res = await fetch(`${served.url}/throws-with-call-in-flight`)
    expect(res.status).toBe(500)
    await res.arrayBuffer()

    await waitFor(() => http.stats().scopesClosed === 4, 'every scope to be released')
    expect(http.stats()).toMatchObject({ scopesOpened: 4, scopesClosed: 4, inFlight: 0 })
    expect(await leftBehind).toBeInstanceOf(AbortError)
    await within(upstream.hung[0].connectionClosed, 1_000, 'the abandoned upstream connection to close')
    await http.close()
  })

  it('aborts the upstream call when the downstream client disconnects', async () => {
    const http = register({ baseUrl: upstream.url })
    const settled = deferred<{ error: unknown; rawSignalAborted: boolean }>()
    const app = new Hono().use(http.middleware).get('/wait', async (c) => {
      // @hono/node-server aborts its own request signal on the same event (if it was read before).
      const rawSignal = c.req.raw.signal
      try {
        await c.var.http.get('/hang')
        settled.resolve({ error: null, rawSignalAborted: rawSignal.aborted })
      } catch (error) {
        settled.resolve({ error, rawSignalAborted: rawSignal.aborted })
      }
      return c.text('unreachable')
    })
    const served = await serveApp(app)

    const downstream = new AbortController()
    const pending = fetch(`${served.url}/wait`, { signal: downstream.signal }).catch((err: unknown) => err)
    await upstream.hungCount(1)
    downstream.abort()
    expect(await pending).toMatchObject({ name: 'AbortError' })

    await within(upstream.hung[0].connectionClosed, 1_000, 'the upstream connection to close')
    const { error, rawSignalAborted } = await within(settled.promise, 1_000, 'the handler to settle')
    expect(error).toBeInstanceOf(AbortError)
    expect((error as AbortError).cause).toBeInstanceOf(DownstreamClosedError)
    expect(rawSignalAborted).toBe(true)
    await waitFor(() => http.stats().scopesClosed === 1, 'the scope to be released')
    await http.close()
  })
  it("closes the scope when hono's timeout() answers first, aborting the handler's call", async () => {
    const http = register({ baseUrl: upstream.url })
    const app = new Hono()
      // timeout()'s 504 as hono answers it; the handler's aborted call, after it, without a log.
      .onError((err, c) => (err instanceof HTTPException ? err.getResponse() : c.text('failed', 500)))
      .use(timeout(100))
      .use(http.middleware)
      .get('/wait', async (c) => {
        await c.var.http.get('/hang')
        return c.text('unreachable')
      })
    const served = await serveApp(app)

    const res = await fetch(`${served.url}/wait`)
    expect(res.status).toBe(504)
    await res.arrayBuffer()
    await within(upstream.hung[0].connectionClosed, 1_000, 'the upstream connection to close')
    await waitFor(() => http.stats().scopesClosed === 1, 'the scope to be released')
  })

  it('aborts at once when the downstream client left before the middleware ran', async () => {
    const http = register({ baseUrl: upstream.url })
    const gone = deferred()
    const result = deferred<{ error: unknown; signalAborted: boolean }>()
    const app = new Hono<{ Bindings: HttpBindings }>()
      .use(async (c, next) => {
        // An earlier middleware still at work when the connection drops.
        c.env.outgoing.once('close', () => gone.resolve())
        await gone.promise
        await next()
      })
      .use(http.middleware)
      .get('/late', async (c) => {
        const error = await c.var.http.get('/item').catch((err: unknown) => err)
        result.resolve({ error, signalAborted: c.var.http.closed })
        return c.text('unreachable')
      })
    const served = await serveApp(app)

    const downstream = new AbortController()
    const pending = fetch(`${served.url}/late`, { signal: downstream.signal }).catch((err: unknown) => err)
    await sleep(50)
    downstream.abort()
    await pending
    const { error, signalAborted } = await within(result.promise, 1_000, 'the handler to run')
    expect(error).toBeInstanceOf(AbortError)
    expect((error as AbortError).cause).toBeInstanceOf(DownstreamClosedError)
    expect(signalAborted).toBe(true)
    expect(upstream.requests).toHaveLength(0)
    await waitFor(() => http.stats().scopesClosed === 1, 'the scope to be released')
  })
})

describe("scope: 'request', pool: 'isolated'", () => {
  it('gives each request a pool of its own and closes it at teardown', async () => {
    const http = register({ baseUrl: upstream.url, pool: 'isolated', requestLimits: { connections: 2 } })
    const dispatchers = new Set<unknown>()
    const app = new Hono().use(http.middleware).get('/fan-out', async (c) => {
      dispatchers.add(c.var.http.dispatcher)
      const responses = await Promise.all([1, 2, 3].map((n) => c.var.http.get(`/slow?n=${n}`)))
      return c.json(await Promise.all(responses.map((res) => res.json())))
    })
    const served = await serveApp(app)

    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${served.url}/fan-out`)
      expect(res.status).toBe(200)
      expect(await res.json()).toHaveLength(3)
      // The request's pool is gone once it is finished: its connections are closed, not kept alive.
      await upstream.waitForOpen(0)
    }
    expect(dispatchers.size).toBe(5)
    expect(dispatchers.has(http.client.dispatcher)).toBe(false)
    // Each pool opened its own connections, never more than requestLimits.connections.
    expect(upstream.connections).toBeGreaterThanOrEqual(5)
    expect(upstream.connections).toBeLessThanOrEqual(10)
    expect(http.stats()).toMatchObject({ scopesOpened: 5, scopesClosed: 5 })
    await http.close()
  })
})

describe('mounting', () => {
  it('opens one client per request when the middleware is mounted twice on a route', async () => {
    const http = register({ baseUrl: upstream.url })
    const app = new Hono()
      .use(http.middleware)
      .get('/', http.middleware, (c) => c.json({ scoped: c.var.http !== http.client }))
    const served = await serveApp(app)
    expect(await (await fetch(served.url)).json()).toEqual({ scoped: true })
    await waitFor(() => http.stats().scopesClosed === 1, 'the scope to be released')
    expect(http.stats()).toMatchObject({ scopesOpened: 1, scopesClosed: 1 })
    await http.close()
  })

  it('refuses a name another middleware already set', async () => {
    const http = register({ baseUrl: upstream.url })
    const errors: unknown[] = []
    const app = new Hono<{ Variables: { http: unknown } }>()
      .onError((err, c) => {
        errors.push(err)
        return c.text('failed', 500)
      })
      .use(async (c, next) => {
        c.set('http', 'something else')
        await next()
      })
      .use(http.middleware)
      .get('/', (c) => c.text('unreachable'))
    expect((await app.request('/')).status).toBe(500)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(ConfigError)
    expect(errors[0]).toMatchObject({
      option: 'name',
      message: expect.stringContaining('c.var.http was set'),
    })
    expect(http.stats().scopesOpened).toBe(0)
    await http.close()
  })
})
