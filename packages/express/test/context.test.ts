import { setTimeout as sleep } from 'node:timers/promises'
import { TimeoutError } from '@mooring/core'
import express from 'express'
import { describe, expect, it } from 'vitest'
import * as fixture from '../../core/test/support/fixtures.js'
import { register, serve } from './support/serve.js'

interface Echo {
  url: string
  headers: Record<string, string | undefined>
}

describe('propagate and current()', () => {
  it('sends the inbound x-request-id from a service that has no req, each request with its own', async () => {
    const upstream = await fixture.hanging()
    const registration = register({ baseUrl: upstream.url, propagate: ['x-request-id'], context: true })
    // A service function: it knows the registration, not the request.
    const loadProfile = async (): Promise<Echo> => (await registration.current().get('/profile')).json<Echo>()
    const app = express()
    app.use(registration.middleware)
    app.get('/profile', async (req, res) => {
      // Let the other requests interleave before the service runs.
      await sleep(5)
      const profile = await loadProfile()
      res.json({ forwarded: profile.headers['x-request-id'], current: registration.current() === req.http })
    })
    const served = await serve(app)
    const base = served.url

    const ids = Array.from({ length: 10 }, (_, i) => `req-${i}`)
    const results = await Promise.all(
      ids.map(async (id) => (await fetch(`${base}/profile`, { headers: { 'x-request-id': id } })).json()),
    )

    expect(results).toEqual(ids.map((id) => ({ forwarded: id, current: true })))
    expect(upstream.requests.map((r) => r.headers['x-request-id']).sort()).toEqual([...ids].sort())

    // Outside a request: the app client, which carries no request's header.
    expect(registration.current()).toBe(registration.client)
    const outside = await loadProfile()
    expect(outside.headers['x-request-id']).toBeUndefined()
  })
})

describe('deadline', () => {
  it('fails a call to a slow upstream with a total TimeoutError after about the deadline', async () => {
    const upstream = await fixture.hanging()
    const registration = register({ baseUrl: upstream.url, deadline: 300 })
    const app = express()
    app.use(registration.middleware)
    app.get('/slow', async (req, res) => {
      const started = performance.now()
      try {
        await req.http.get('/hang/deadline')
        res.json({ error: null })
      } catch (err) {
        res.json({
          error: err instanceof TimeoutError ? 'TimeoutError' : String(err),
          phase: err instanceof TimeoutError ? err.phase : null,
          elapsed: performance.now() - started,
        })
      }
    })
    const served = await serve(app)

    const body = await (await fetch(`${served.url}/slow`)).json()

    expect(body).toMatchObject({ error: 'TimeoutError', phase: 'total' })
    expect(body.elapsed).toBeGreaterThanOrEqual(250)
    expect(body.elapsed).toBeLessThan(2_000)
  })

  it('gives a call only the time the inbound request has left', async () => {
    const upstream = await fixture.hanging()
    const registration = register({ baseUrl: upstream.url, deadline: 1_000 })
    const app = express()
    app.use(registration.middleware)
    app.get('/late', async (req, res) => {
      await sleep(700)
      const started = performance.now()
      try {
        await req.http.get('/hang/late')
      } catch (err) {
        res.json({
          phase: err instanceof TimeoutError ? err.phase : null,
          elapsed: performance.now() - started,
        })
      }
    })
    const served = await serve(app)

    const body = await (await fetch(`${served.url}/late`)).json()

    // About 300 ms were left of the request's 1000; a call given the whole deadline would take 1000.
    expect(body.phase).toBe('total')
    expect(body.elapsed).toBeLessThan(800)
  })
})
