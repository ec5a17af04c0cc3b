import express from 'express'
import { describe, expect, it } from 'vitest'
import { deferred, inBatches } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import { fetchJson } from '../../core/test/support/http.js'
import { register, serve } from './support/serve.js'

describe("scope: 'app'", () => {
  it('serves 200 requests over no more upstream connections than limits.connections, and closes with the server', async () => {
    const upstream = await fixture.upstream()
    const registration = register({ scope: 'app', baseUrl: upstream.url, limits: { connections: 4 } })
    const app = express()
    app.use(registration.middleware)
    app.get('/relay/:i', async (req, res) => {
      const answer = await req.http.get(`/item/${req.params.i}`)
      const body = await answer.json<{ url: string }>()
      res.json({
        url: body.url,
        appClient: req.http === registration.client && res.locals.http === registration.client,
      })
    })
    const served = await serve(app)
    registration.closeWith(served.server)
    const base = served.url

    const results = await inBatches(200, 20, (i) =>
      fetchJson<{ url: string; appClient: boolean }>(`${base}/relay/${i}`),
    )

    results.forEach((result, i) => {
      expect(result).toEqual({ status: 200, body: { url: `/item/${i}`, appClient: true } })
    })
    expect(upstream.requests).toHaveLength(200)
    expect(upstream.connections).toBeGreaterThan(0)
    expect(upstream.connections).toBeLessThanOrEqual(4)
    expect(upstream.open).toBeGreaterThan(0)
    expect(registration.stats()).toMatchObject({ scopesOpened: 0, scopesClosed: 0 })

    await served.close()
    // closeWith has closed the client on the server's 'close'; close() hands back the same promise.
    expect(registration.client.closed).toBe(true)
    await registration.close()
    await upstream.waitForOpen(0)
  })

  it('lets a request in flight at shutdown finish before the client closes', async () => {
    const upstreamReached = deferred()
    let release: () => void = () => {}
    const upstream = await fixture.upstream((_req, res) => {
      release = () => res.end('late but whole')
      upstreamReached.resolve()
    })
    const registration = register({ scope: 'app', baseUrl: upstream.url })
    const app = express()
    app.use(registration.middleware)
    app.get('/slow', async (req, res) => {
      res.send(await (await req.http.get('/slow')).text())
    })
    const served = await serve(app)
    registration.closeWith(served.server)

    const inFlight = fetch(`${served.url}/slow`)
    await upstreamReached.promise
    const closing = served.close()
    // The server stopped accepting, but its request is still in flight: the client must stay open.
    await new Promise((r) => setTimeout(r, 50))
    expect(registration.client.closed).toBe(false)
    release()

    const res = await inFlight
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('late but whole')
    await closing
    expect(registration.client.closed).toBe(true)
    await registration.close()
    await upstream.waitForOpen(0)
  })
})
