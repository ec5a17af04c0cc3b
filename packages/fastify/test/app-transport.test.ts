import { Socket } from 'node:net'
import { AbortError } from '@mooring/core'
import { appTransport, mockTransport } from '@mooring/core/testing'
import { mooring } from '@mooring/fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { waitFor } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import { fastify } from './support/http.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('in process, through appTransport', () => {
  it('serves the app with no socket: request scopes, propagation and teardown all hold', async () => {
    const connect = vi.spyOn(Socket.prototype, 'connect')
    const upstream = mockTransport((request) => ({ json: { path: new URL(request.url).pathname } }))
    const app = fastify()
    await app.register(mooring, {
      baseUrl: 'http://users.internal',
      transport: upstream,
      propagate: ['x-request-id'],
      context: true,
    })
    const lookUp = async (id: string) => (await app.mooring.current().get(`/users/${id}`)).json()
    app.get('/users/:id', async (request) => ({
      user: await lookUp((request.params as { id: string }).id),
      scoped: request.http !== app.mooring.get().client,
    }))
    const client = fixture.client({ baseUrl: 'http://in-process.test', transport: appTransport(app) })

    for (let i = 0; i < 5; i++) {
      const res = await client.get(`/users/${i}`, { headers: { 'x-request-id': `req-${i}` } })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ user: { path: `/users/${i}` }, scoped: true })
    }

    expect(upstream.calls.map((call) => call.headers['x-request-id'])).toEqual(
      [0, 1, 2, 3, 4].map((i) => `req-${i}`),
    )
    const registration = app.mooring.get()
    await waitFor(() => registration.stats().scopesClosed === 5, 'every scope to be closed')
    expect(registration.stats().scopesOpened).toBe(5)
    expect(app.server.listening).toBe(false)
    expect(connect).not.toHaveBeenCalled()
  })

  it('aborts the request client when the in-process caller gives up', async () => {
    let upstreamSignal: AbortSignal | undefined
    const upstream = mockTransport(async (request) => {
      upstreamSignal = request.signal
      await new Promise((resolve) => setTimeout(resolve, 5_000).unref())
      return { body: 'too late' }
    })
    const app = fastify()
    await app.register(mooring, { baseUrl: 'http://slow.internal', transport: upstream })
    let failure: unknown
    app.get('/slow', async (request) => {
      try {
        return await (await request.http.get('/slow')).text()
      } catch (err) {
        failure = err
        throw err
      }
    })
    const client = fixture.client({ baseUrl: 'http://in-process.test', transport: appTransport(app) })

    const caller = new AbortController()
    const pending = client.get('/slow', { signal: caller.signal }).catch((err: unknown) => err)
    await waitFor(() => upstream.calls.length === 1, 'the app to call its upstream')
    caller.abort()

    expect(await pending).toBeInstanceOf(AbortError)
    await waitFor(() => failure !== undefined, 'the app’s call to be aborted')
    expect(failure).toBeInstanceOf(AbortError)
    const registration = app.mooring.get()
    await waitFor(() => registration.stats().scopesClosed === 1, 'the scope to be closed')
    expect(upstreamSignal?.aborted).toBe(true)
  })
})
