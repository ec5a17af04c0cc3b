import { ConfigError, TimeoutError } from '@mooring/core'
import { Hono } from 'hono'
import { beforeEach, describe, expect, it } from 'vitest'
import { inBatches, sleep } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import type { Upstream } from '../../core/test/support/upstream.js'
import { register, serveApp } from './support/serve.js'

let upstream: Upstream

beforeEach(async () => {
  upstream = await fixture.upstream((req, res) => {
    if (req.url === '/hang') return
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ url: req.url, requestId: req.headers['x-request-id'] ?? null }))
  })
})

/** What current() throws in request scope with the context off: the option, its value, what to do. */
const CONTEXT_OFF =
  /context: expected true on the registration to use current\(\) in request scope, or read the request's client from c\.var\.http, got false/

describe('the context, off by default', () => {
  it('gives c.var.http its scope, and current() throws naming `context`, in a request and out', async () => {
    const registration = register({ baseUrl: upstream.url, propagate: ['x-request-id'] })
    const app = new Hono().use(registration.middleware).get('/users/:id', async (c) => {
      const profile = await (await c.var.http.get(`/profiles/${c.req.param('id')}`)).json()
      let thrown: unknown
      try {
        registration.current()
      } catch (err) {
        thrown = err
      }
      return c.json({
        profile,
        scoped: c.var.http !== registration.client,
        thrown:
          thrown instanceof ConfigError && thrown.option === 'context' && CONTEXT_OFF.test(thrown.message),
      })
    })
    const served = await serveApp(app)

    for (const i of [1, 2]) {
      const res = await fetch(`${served.url}/users/${i}`, { headers: { 'x-request-id': `req-${i}` } })
      expect(await res.json()).toEqual({
        profile: { url: `/profiles/${i}`, requestId: `req-${i}` },
        scoped: true,
        thrown: true,
      })
    }
    // In process (app.request) alike.
    const inProcess = await app.request('/users/3', { headers: { 'x-request-id': 'req-3' } })
    expect(await inProcess.json()).toMatchObject({ scoped: true, thrown: true })
    expect(() => registration.current()).toThrow(ConfigError)
    expect(() => registration.current()).toThrow(CONTEXT_OFF)
  })

  it('finds the request scope across awaits with context: true, in process too', async () => {
    const registration = register({ baseUrl: upstream.url, context: true })
    const app = new Hono().use(registration.middleware).get('/', async (c) => {
      const before = registration.current()
      await sleep(2)
      await (await c.var.http.get('/x')).json()
      return c.json({ same: before === c.var.http && registration.current() === c.var.http })
    })

    expect(await (await app.request('/')).json()).toEqual({ same: true })
    expect(registration.current()).toBe(registration.client)
  })
})

describe('propagate and the context accessor', () => {
  it("sends the inbound x-request-id on the request's calls, from a service with no `c`", async () => {
    const registration = register({ baseUrl: upstream.url, propagate: ['x-request-id'], context: true })
    // A service function: it knows the registration, not the request.
    async function loadProfile(id: string): Promise<{ url: string; requestId: string | null }> {
      const res = await registration.current().get(`/profiles/${id}`)
      return res.json()
    }
    const app = new Hono().use(registration.middleware).get('/users/:id', async (c) => {
      const id = c.req.param('id')
      await sleep(Number(id) % 3) // interleave the requests
      const profile = await loadProfile(id)
      return c.json({ profile, same: registration.current() === c.var.http })
    })
    const served = await serveApp(app)

    await inBatches(40, 20, async (i) => {
      const res = await fetch(`${served.url}/users/${i}`, { headers: { 'x-request-id': `req-${i}` } })
      expect(await res.json()).toEqual({
        profile: { url: `/profiles/${i}`, requestId: `req-${i}` },
        same: true,
      })
    })
    expect(upstream.requests).toHaveLength(40)

    // Outside a request: the app client, which propagates nothing.
    expect(registration.current()).toBe(registration.client)
    expect(await loadProfile('outside')).toEqual({ url: '/profiles/outside', requestId: null })
  })

  it('propagates in-process too (app.request)', async () => {
    const http = register({ baseUrl: upstream.url, propagate: ['x-request-id'] })
    const app = new Hono()
      .use(http.middleware)
      .get('/', async (c) => c.json(await (await c.var.http.get('/')).json()))
    const res = await app.request('/', { headers: { 'x-request-id': 'in-process' } })
    expect(await res.json()).toEqual({ url: '/', requestId: 'in-process' })
  })
})

describe('deadline', () => {
  it('gives the calls of a request the time it has left, then a TimeoutError with phase total', async () => {
    const http = register({ baseUrl: upstream.url, deadline: 600 })
    const app = new Hono().use(http.middleware).get('/slow', async (c) => {
      const arrived = performance.now()
      await sleep(400) // the handler spends most of the budget before it calls
      const calledAt = performance.now()
      try {
        await c.var.http.get('/hang')
        return c.json({ error: null })
      } catch (err) {
        const now = performance.now()
        return c.json({
          isTimeoutError: err instanceof TimeoutError,
          phase: (err as TimeoutError).phase,
          sinceArrival: now - arrived,
          callTook: now - calledAt,
        })
      }
    })
    const served = await serveApp(app)

    const res = await fetch(`${served.url}/slow`)
    const result = await res.json()
    expect(result).toMatchObject({ isTimeoutError: true, phase: 'total' })
    // About the deadline after arrival; the call itself got only what was left, not a fresh 600 ms.
    expect(result.sinceArrival).toBeGreaterThanOrEqual(550)
    expect(result.sinceArrival).toBeLessThan(3_000)
    expect(result.callTook).toBeLessThan(600)
  })
})
