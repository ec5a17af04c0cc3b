import type { IncomingMessage, ServerResponse } from 'node:http'
import { AbortError, ClientClosedError, type MooringResponse, TimeoutError } from '@mooring/core'
import type { Agent, Dispatcher } from 'undici'
import { describe, expect, it } from 'vitest'
import { client, upstream } from './support/fixtures.js'
import { sleep, waitFor } from './support/async.js'

/** undici's Agent reports whether it was closed; the Dispatcher interface does not say so. */
const agent = (d: Dispatcher): Agent => d as Agent

type Echo = { url: string; headers: Record<string, string | undefined> }
const echo = async (res: Promise<MooringResponse>): Promise<Echo> => (await res).json<Echo>()

/** `/hang` answers only when the client goes away; anything else is echoed after `delay` ms. */
function hangingHandler(onClose: (req: IncomingMessage) => void = () => {}) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url?.startsWith('/hang')) {
      res.on('close', () => onClose(req))
      return
    }
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ url: req.url, headers: req.headers }))
  }
}

describe('scopes share the parent pool', () => {
  it('many sequential scopes open no connection the app client did not', async () => {
    const up = await upstream()
    const app = client({ baseUrl: up.url })
    // The app client alone, sequentially: undici's pool settles on one or two connections.
    for (let i = 0; i < 10; i++) await (await app.get('/warm')).dump()
    const byApp = up.connections
    expect(byApp).toBeLessThanOrEqual(2)

    for (let i = 0; i < 50; i++) {
      const scope = app.scope({ headers: { 'x-request-id': String(i) } })
      const body = await echo(scope.get('/s'))
      expect(body.headers['x-request-id']).toBe(String(i))
      await scope.close()
    }

    expect(up.requests).toHaveLength(60)
    expect(up.connections).toBe(byApp)
    expect(app.closed).toBe(false)
  })

  it('many concurrent scopes use the same connections as the app client', async () => {
    const up = await upstream(async (req, res) => {
      await sleep(30)
      res.end(req.url)
    })
    const app = client({ baseUrl: up.url, limits: { connections: 4 } })

    // The app client alone: 20 at once fill the pool to its limit.
    await Promise.all(Array.from({ length: 20 }, async (_, i) => (await app.get(`/app/${i}`)).text()))
    const byApp = up.connections
    expect(byApp).toBeGreaterThan(1)
    expect(byApp).toBeLessThanOrEqual(4)

    // The same load through 20 scopes, one request each, at once: not one connection more.
    const texts = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const scope = app.scope({ headers: { 'x-scope': String(i) } })
        try {
          return await (await scope.get(`/scope/${i}`)).text()
        } finally {
          await scope.close()
        }
      }),
    )
    expect(texts).toEqual(Array.from({ length: 20 }, (_, i) => `/scope/${i}`))
    expect(up.connections).toBe(byApp)
    expect(up.peakOpen).toBeLessThanOrEqual(4)
  })
})

describe('scope headers', () => {
  it('merge over the client headers and never leak into another scope or the parent', async () => {
    const up = await upstream(async (req, res) => {
      await sleep(20)
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ url: req.url, headers: req.headers }))
    })
    const app = client({ baseUrl: up.url, headers: { authorization: 'Bearer app', 'x-app': 'mooring' } })
    const a = app.scope({ headers: { authorization: 'Bearer tenant-a', 'x-tenant': 'a' } })
    const b = app.scope({ headers: { 'x-tenant': 'b', 'X-Only-B': 'yes' } })

    // Interleaved, so a shared mutable header record would show.
    const [fromA, fromB, fromApp, fromA2] = await Promise.all([
      echo(a.get('/a')),
      echo(b.get('/b')),
      echo(app.get('/app')),
      echo(a.get('/a2', { headers: { 'x-call': '1' } })),
    ])

    expect(fromA.headers).toMatchObject({
      authorization: 'Bearer tenant-a',
      'x-app': 'mooring',
      'x-tenant': 'a',
    })
    expect(fromA.headers['x-only-b']).toBeUndefined()
    expect(fromB.headers).toMatchObject({
      authorization: 'Bearer app',
      'x-app': 'mooring',
      'x-tenant': 'b',
      'x-only-b': 'yes',
    })
    expect(fromApp.headers.authorization).toBe('Bearer app')
    expect(fromApp.headers['x-tenant']).toBeUndefined()
    expect(fromApp.headers['x-only-b']).toBeUndefined()
    expect(fromA2.headers).toMatchObject({ 'x-tenant': 'a', 'x-call': '1' })

    // A per-call header stays on that call.
    const again = await echo(a.get('/a3'))
    expect(again.headers['x-call']).toBeUndefined()
    await Promise.all([a.close(), b.close()])
  })

  it('nested scopes inherit from every ancestor, and closing the outer one aborts the inner', async () => {
    const up = await upstream(hangingHandler())
    const app = client({ baseUrl: up.url, headers: { 'x-level': 'app', 'x-app': '1' } })
    const outer = app.scope({ headers: { 'x-level': 'outer', 'x-outer': '1' } })
    const inner = outer.scope({ headers: { 'x-level': 'inner' } })

    const body = await echo(inner.get('/nested'))
    expect(body.headers).toMatchObject({ 'x-level': 'inner', 'x-app': '1', 'x-outer': '1' })
    expect((await echo(outer.get('/outer'))).headers['x-level']).toBe('outer')

    const hanging = inner.get('/hang').catch((e: unknown) => e)
    await waitFor(() => up.requests.some((r) => r.url === '/hang'), 'the inner request upstream')
    await outer.close()
    const err = await hanging
    expect(err).toBeInstanceOf(AbortError)
    expect(inner.closed).toBe(true)
    await expect(inner.get('/after')).rejects.toBeInstanceOf(ClientClosedError)

    // The app client is untouched.
    expect(app.closed).toBe(false)
    expect((await echo(app.get('/still'))).headers['x-level']).toBe('app')
  })

  it('closing an inner scope leaves its parent scope working', async () => {
    const up = await upstream()
    const app = client({ baseUrl: up.url })
    const outer = app.scope({ headers: { 'x-outer': '1' } })
    const inner = outer.scope()
    await inner.close()
    expect(inner.closed).toBe(true)
    expect(outer.closed).toBe(false)
    expect((await echo(outer.get('/ok'))).headers['x-outer']).toBe('1')
  })
})

describe('scope.close()', () => {
  it('aborts in-flight requests upstream, with a cause that says the scope closed', async () => {
    let closedUpstream = 0
    const up = await upstream(hangingHandler(() => closedUpstream++))
    const app = client({ baseUrl: up.url })
    await (await app.get('/warm')).dump()
    const scope = app.scope()

    const inFlight = [scope.get('/hang/1'), scope.get('/hang/2')].map((p) => p.catch((e: unknown) => e))
    await waitFor(() => up.requests.filter((r) => r.url.startsWith('/hang')).length === 2, 'both requests')
    expect(app.stats().inFlight).toBe(2)
    await scope.close()

    for (const err of await Promise.all(inFlight)) {
      expect(err).toBeInstanceOf(AbortError)
      const cause = (err as AbortError).cause as Error
      expect(cause).toBeInstanceOf(Error)
      expect(cause.message).toMatch(/scope was closed/)
      expect((err as AbortError).message).toMatch(/scope was closed/)
    }
    // The upstream sees both requests' connections go within a second.
    await waitFor(() => closedUpstream === 2, 'the upstream to see the requests close', 1_000)
    expect(app.stats().inFlight).toBe(0)

    // The parent's pool is not closed: the app client keeps working.
    expect(app.closed).toBe(false)
    expect(agent(app.dispatcher).closed).toBe(false)
    expect(agent(app.dispatcher).destroyed).toBe(false)
    expect((await echo(app.get('/after'))).url).toBe('/after')
  })

  it('refuses requests made after it, and is idempotent', async () => {
    const up = await upstream()
    const app = client({ baseUrl: up.url })
    const scope = app.scope()
    const first = scope.close()
    expect(scope.close()).toBe(first)
    await first
    await expect(scope.get('/x')).rejects.toBeInstanceOf(ClientClosedError)
    expect(() => scope.scope()).toThrow(ClientClosedError)
    expect(up.requests).toHaveLength(0)
  })
})

describe('isolated scopes', () => {
  it('open their own connection and leave none behind when closed', async () => {
    const up = await upstream()
    const app = client({ baseUrl: up.url })
    await (await app.get('/app')).dump()
    expect(up.connections).toBe(1)

    const isolated = app.scope({ pool: 'isolated', limits: { connections: 1 } })
    expect(isolated.dispatcher).not.toBe(app.dispatcher)
    for (let i = 0; i < 3; i++) await (await isolated.get(`/iso/${i}`)).dump()
    expect(up.connections).toBe(2)
    expect(up.open).toBe(2)

    await isolated.close()
    expect(agent(isolated.dispatcher).closed).toBe(true)
    // Only the app client's connection is left.
    await up.waitForOpen(1, 1_000)
    expect(agent(app.dispatcher).closed).toBe(false)
    await (await app.get('/app-again')).dump()
    expect(up.connections).toBe(2)
  })

  it('a shared scope has no pool of its own', () => {
    const app = client({ baseUrl: 'http://127.0.0.1:1' })
    expect(app.scope().dispatcher).toBe(app.dispatcher)
    expect(app.scope({ pool: 'shared' }).dispatcher).toBe(app.dispatcher)
  })
})

describe('scope limits', () => {
  it('maxConcurrent bounds how many of its requests run at once', async () => {
    let running = 0
    let peak = 0
    const up = await upstream(async (req, res) => {
      running++
      peak = Math.max(peak, running)
      await sleep(40)
      running--
      res.end(req.url)
    })
    const app = client({ baseUrl: up.url, limits: { connections: 10 } })
    const scope = app.scope({ maxConcurrent: 2 })

    const texts = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => (await scope.get(`/m/${i}`)).text()),
    )
    expect(texts).toEqual(Array.from({ length: 8 }, (_, i) => `/m/${i}`))
    expect(peak).toBe(2)

    // The app client itself is not bound by its scope's limit.
    peak = 0
    await Promise.all(Array.from({ length: 4 }, async (_, i) => (await app.get(`/a/${i}`)).text()))
    expect(peak).toBeGreaterThan(2)
    await scope.close()
  })

  it('a scope signal aborts its calls, in flight and later', async () => {
    const up = await upstream(hangingHandler())
    const app = client({ baseUrl: up.url })
    const controller = new AbortController()
    const scope = app.scope({ signal: controller.signal })

    const hanging = scope.get('/hang').catch((e: unknown) => e)
    await waitFor(() => up.requests.length === 1, 'the request upstream')
    const reason = new Error('downstream went away')
    controller.abort(reason)

    const err = await hanging
    expect(err).toBeInstanceOf(AbortError)
    expect((err as AbortError).cause).toBe(reason)
    const later = await scope.get('/later').catch((e: unknown) => e)
    expect(later).toBeInstanceOf(AbortError)
    expect((later as AbortError).cause).toBe(reason)
    expect(up.requests).toHaveLength(1)
    expect((await echo(app.get('/parent'))).url).toBe('/parent')
  })

  it('a scope created with an aborted signal refuses every call', async () => {
    const up = await upstream()
    const app = client({ baseUrl: up.url })
    const scope = app.scope({ signal: AbortSignal.abort(new Error('already gone')) })
    await expect(scope.get('/x')).rejects.toBeInstanceOf(AbortError)
    expect(up.requests).toHaveLength(0)
  })

  it('a scope deadline bounds its calls with a total timeout', async () => {
    const up = await upstream(hangingHandler())
    const app = client({ baseUrl: up.url })
    const scope = app.scope({ deadline: Date.now() + 150 })

    const started = performance.now()
    const err = await scope.get('/hang').catch((e: unknown) => e)
    const elapsed = performance.now() - started
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).phase).toBe('total')
    expect(elapsed).toBeGreaterThanOrEqual(100)
    expect(elapsed).toBeLessThan(2_000)

    // The parent has no deadline.
    expect((await echo(app.get('/fine'))).url).toBe('/fine')
    await scope.close()
  })

  it('a nested scope cannot extend its parent deadline', async () => {
    const up = await upstream(hangingHandler())
    const app = client({ baseUrl: up.url })
    const outer = app.scope({ deadline: Date.now() + 150 })
    const inner = outer.scope({ deadline: Date.now() + 60_000 })
    const started = performance.now()
    const err = await inner.get('/hang').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).phase).toBe('total')
    expect(performance.now() - started).toBeLessThan(2_000)
    await outer.close()
  })
})
