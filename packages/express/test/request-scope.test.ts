import { AbortError, type MooringClient, MooringError } from '@mooring/core'
import express, { type ErrorRequestHandler } from 'express'
import { describe, expect, it } from 'vitest'
import { deferred, inBatches, waitFor, within } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import type { HangingUpstream } from '../../core/test/support/upstream.js'
import { DownstreamClosedError, type ExpressMooring } from '../src/index.js'
import { register, serve } from './support/serve.js'

let upstream: HangingUpstream

/** Answers a failed route with the error's class, so tests see what the handler saw. */
const reportError: ErrorRequestHandler = (err, _req, res, _next) => {
  res.status(500).json({ error: err instanceof Error ? err.name : String(err) })
}

async function start(setup: (app: express.Express, registration: ExpressMooring) => void) {
  upstream = await fixture.hanging()
  const registration = register({ baseUrl: upstream.url, limits: { connections: 4 } })
  const app = express()
  app.use(registration.middleware)
  setup(app, registration)
  app.use(reportError)
  const served = await serve(app)
  return { registration, url: served.url }
}

const bothClosed = (registration: ExpressMooring, count: number) => () => {
  const { scopesOpened, scopesClosed } = registration.stats()
  return scopesOpened === count && scopesClosed === count
}

describe("scope: 'request' over the shared pool", () => {
  it('gives each request its own scope over the pooled connections, closed at teardown', async () => {
    const clients: MooringClient[] = []
    const { registration, url } = await start((app, registration) => {
      app.get('/relay/:i', async (req, res) => {
        clients.push(req.http)
        const answer = await req.http.get(`/item/${req.params.i}`)
        const body = await answer.json<{ url: string }>()
        res.json({ url: body.url, scoped: req.http !== registration.client && res.locals.http === req.http })
      })
    })

    const results = await inBatches(200, 20, async (i) => (await fetch(`${url}/relay/${i}`)).json())

    results.forEach((body, i) => {
      expect(body).toEqual({ url: `/item/${i}`, scoped: true })
    })
    expect(upstream.connections).toBeGreaterThan(0)
    expect(upstream.connections).toBeLessThanOrEqual(4)
    expect(new Set(clients).size).toBe(200)
    await waitFor(bothClosed(registration, 200), '200 scopes opened and closed')
    expect(clients.every((client) => client.closed)).toBe(true)
    expect(registration.client.closed).toBe(false)
  })

  it('closes the scope of a handler that throws, synchronously or by rejecting, and aborts what it left in flight', async () => {
    const clients: MooringClient[] = []
    const { registration, url } = await start((app) => {
      app.get('/throws', (req) => {
        clients.push(req.http)
        throw new Error('sync failure')
      })
      app.get('/rejects', async (req) => {
        clients.push(req.http)
        await (await req.http.get('/fast')).json()
        // Fire and forget: the teardown must not leave this call running.
        req.http.get('/hang/left-behind').catch(() => {})
        await upstream.hungCount(1)
        throw new Error('async failure')
      })
    })

    const thrown = await fetch(`${url}/throws`)
    expect(thrown.status).toBe(500)
    expect(await thrown.json()).toEqual({ error: 'Error' })
    const rejected = await fetch(`${url}/rejects`)
    expect(rejected.status).toBe(500)
    expect(await rejected.json()).toEqual({ error: 'Error' })

    await waitFor(bothClosed(registration, 2), 'both scopes closed')
    expect(clients.map((client) => client.closed)).toEqual([true, true])
    await within(upstream.hung[0].connectionClosed, 1_000, 'the left-behind upstream call to abort')
    expect(registration.stats().inFlight).toBe(0)
  })

  it('closes the scope of a handler that timed out, aborting the call it still awaits', async () => {
    let seen: unknown
    const { registration, url } = await start((app) => {
      app.get('/slow', (_req, res, next) => {
        // What connect-timeout and friends do: answer for the handler when it takes too long.
        const timer = setTimeout(() => res.status(503).json({ error: 'timed out' }), 100)
        res.once('close', () => clearTimeout(timer))
        next()
      })
      app.get('/slow', async (req, res) => {
        try {
          await req.http.get('/hang/timed-out')
        } catch (err) {
          seen = err
          if (!res.headersSent) res.status(502).end()
        }
      })
    })

    const res = await fetch(`${url}/slow`)
    expect(res.status).toBe(503)
    await within(
      upstream.hungCount(1).then(() => upstream.hung[0].connectionClosed),
      1_000,
      'the upstream call to abort',
    )
    await waitFor(bothClosed(registration, 1), 'the scope closed')
    await waitFor(() => seen !== undefined, 'the handler to see its call fail')
    expect(seen).toBeInstanceOf(AbortError)
  })

  it('aborts the upstream call when the downstream client disconnects mid-request', async () => {
    let seen: unknown
    const { registration, url } = await start((app) => {
      app.get('/wait', async (req, res) => {
        try {
          res.send(await (await req.http.get('/hang/abandoned')).text())
        } catch (err) {
          seen = err
        }
      })
    })

    const downstream = new AbortController()
    const pending = fetch(`${url}/wait`, { signal: downstream.signal }).catch((err: unknown) => err)
    await upstream.hungCount(1)
    downstream.abort()
    expect(await pending).toMatchObject({ name: 'AbortError' })

    await within(upstream.hung[0].connectionClosed, 1_000, 'the upstream connection to close')
    await waitFor(() => seen !== undefined, 'the handler to see its call fail')
    expect(seen).toBeInstanceOf(AbortError)
    expect((seen as MooringError).cause).toBeInstanceOf(DownstreamClosedError)
    await waitFor(bothClosed(registration, 1), 'the scope closed')
    expect(registration.stats().inFlight).toBe(0)
  })

  it('gives a request whose connection dropped before the middleware ran an aborted client, already closed', async () => {
    const arrival = deferred()
    let seen: unknown
    let closedOnEntry: boolean | undefined
    upstream = await fixture.hanging()
    const registration = register({ baseUrl: upstream.url })
    const app = express()
    // A slow middleware in front (auth, a body parser): the client gives up while it works.
    app.use((_req, res, next) => {
      res.once('close', () => next())
      arrival.resolve()
    })
    app.use(registration.middleware)
    app.get('/late', async (req) => {
      closedOnEntry = req.http.closed
      try {
        await req.http.get('/fast')
      } catch (err) {
        seen = err
      }
    })
    const served = await serve(app)

    const downstream = new AbortController()
    const pending = fetch(`${served.url}/late`, { signal: downstream.signal }).catch((err: unknown) => err)
    await arrival.promise
    downstream.abort()
    await pending

    await waitFor(() => seen !== undefined, 'the handler to see its call refused')
    expect(closedOnEntry).toBe(true)
    expect(seen).toBeInstanceOf(AbortError)
    expect((seen as MooringError).cause).toBeInstanceOf(DownstreamClosedError)
    expect(registration.stats()).toMatchObject({ scopesOpened: 1, scopesClosed: 1 })
    expect(upstream.requests).toHaveLength(0)
  })
})
