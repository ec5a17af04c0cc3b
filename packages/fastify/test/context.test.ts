import { ConfigError, type MooringClient, TimeoutError } from '@mooring/core'
import { mooring } from '@mooring/fastify'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { inBatches, sleep } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import { getJson, send } from '../../core/test/support/http.js'
import { fastify, listen } from './support/http.js'

/** What current() throws in request scope with the context off: the option, its value, what to do. */
const CONTEXT_OFF =
  /context: expected true on the registration to use current\(\) in request scope, or read the request's client from request\.http, got false/

/** A service: it has the app, not the request, and still sends with the request's client. */
function userService(fastify: FastifyInstance) {
  return {
    async find(id: string): Promise<{ url: string; headers: Record<string, string> }> {
      const res = await fastify.mooring.current().get(`/users/${id}`)
      return res.json()
    },
  }
}

describe('propagate and the context accessor', () => {
  it('copies the inbound x-request-id onto calls made by a service with no request in hand', async () => {
    const upstream = await fixture.upstream()
    const app = fastify()
    await app.register(mooring, { baseUrl: upstream.url, propagate: ['x-request-id'], context: true })
    const users = userService(app)
    app.get('/users/:id', async (request) => {
      await sleep(1) // the context must survive real asynchronous hops
      const user = await users.find((request.params as { id: string }).id)
      return { seenId: user.headers['x-request-id'], url: user.url }
    })
    // With a body that arrives after the head: Fastify reads it in the socket's async context, not
    // the one onRequest set up, so the plugin must restore it before the handler.
    app.post('/users', async (request) => {
      const user = await users.find((request.body as { id: string }).id)
      return { seenId: user.headers['x-request-id'], url: user.url }
    })
    const base = await listen(app)

    const results = await inBatches(40, 20, (i) =>
      i % 2 === 0
        ? getJson<{ seenId: string; url: string }>(`${base}/users/${i}`, {
            headers: { 'x-request-id': `req-${i}` },
          })
        : getJson<{ seenId: string; url: string }>(`${base}/users`, {
            method: 'POST',
            headers: { 'x-request-id': `req-${i}`, 'content-type': 'application/json' },
            body: JSON.stringify({ id: String(i) }),
            bodyDelay: 20,
          }),
    )

    results.forEach(({ status, body }, i) => {
      expect(status).toBe(200)
      expect(body).toEqual({ seenId: `req-${i}`, url: `/users/${i}` })
    })
  })

  it("is the request's client inside a request and the app client outside one", async () => {
    const upstream = await fixture.upstream()
    const app = fastify()
    await app.register(mooring, { baseUrl: upstream.url, context: true })
    let inside: MooringClient | undefined
    let requestClient: MooringClient | undefined
    app.get('/', async (request) => {
      await sleep(1)
      inside = app.mooring.current()
      requestClient = request.http
      return 'ok'
    })
    const base = await listen(app)

    expect(app.mooring.current()).toBe(app.mooring.get().client)
    expect((await send(`${base}/`)).status).toBe(200)
    expect(inside).toBe(requestClient)
    expect(inside).not.toBe(app.mooring.get().client)
    expect(app.mooring.current()).toBe(app.mooring.get().client)
    expect(() => app.mooring.current('nope')).toThrow(/name: expected a registered name \(one of http\)/)
  })
})

describe('the context, off by default', () => {
  it('gives request.http its scope, and current() throws naming `context`, in a request and out', async () => {
    const upstream = await fixture.upstream()
    const app = fastify()
    await app.register(mooring, { baseUrl: upstream.url })
    app.get('/', async (request) => {
      const body = await (await request.http.get('/echo')).json<{ url: string }>()
      let thrown: unknown
      try {
        app.mooring.current()
      } catch (err) {
        thrown = err
      }
      return {
        url: body.url,
        scoped: request.http !== app.mooring.get().client,
        thrown:
          thrown instanceof ConfigError && thrown.option === 'context' && CONTEXT_OFF.test(thrown.message),
      }
    })
    const base = await listen(app)

    const results = await Promise.all(Array.from({ length: 4 }, () => getJson(`${base}/`)))

    expect(results.map((r) => r.body)).toEqual(
      Array.from({ length: 4 }, () => ({ url: '/echo', scoped: true, thrown: true })),
    )
    expect(() => app.mooring.current()).toThrow(CONTEXT_OFF)
    expect(() => app.mooring.get().current()).toThrow(ConfigError)
    await expect.poll(() => app.mooring.get().stats()).toMatchObject({ scopesOpened: 4, scopesClosed: 4 })
  })

  it('leaves current() the app client in app scope', async () => {
    const app = fastify()
    await app.register(mooring, { baseUrl: 'http://127.0.0.1:9', scope: 'app' })
    app.get('/', async (request) => ({ same: app.mooring.current() === request.http }))
    const base = await listen(app)

    expect((await getJson(`${base}/`)).body).toEqual({ same: true })
    expect(app.mooring.current()).toBe(app.mooring.get().client)
  })
})

describe('deadline', () => {
  it('fails a slow upstream call with a total TimeoutError when the inbound budget runs out', async () => {
    const upstream = await fixture.upstream(async (_req, res) => {
      await sleep(3_000)
      res.end('too late')
    })
    const app = fastify()
    await app.register(mooring, { baseUrl: upstream.url, deadline: 300 })
    app.get('/slow', async (request) => {
      const started = performance.now()
      try {
        await request.http.get('/slow')
        return { ok: true }
      } catch (err) {
        return {
          timeout: err instanceof TimeoutError,
          phase: (err as TimeoutError).phase,
          after: performance.now() - started,
        }
      }
    })
    const base = await listen(app)

    const { status, body } = await getJson<{ timeout: boolean; phase: string; after: number }>(`${base}/slow`)

    expect(status).toBe(200)
    expect(body.timeout).toBe(true)
    expect(body.phase).toBe('total')
    expect(body.after).toBeGreaterThanOrEqual(250)
    expect(body.after).toBeLessThan(2_000)
  })
})
