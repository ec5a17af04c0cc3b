import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { type Upstream, startUpstream } from '../../core/test/support/upstream.js'
import { type ExpressMooring, mooring } from '../src/index.js'
import { inBatches, type Served, serve } from './serve.js'

let upstream: Upstream | undefined
let served: Served | undefined
let http: ExpressMooring | undefined

afterEach(async () => {
  await served?.close()
  await http?.close()
  await upstream?.close()
  served = http = upstream = undefined
})

describe("scope: 'app'", () => {
  it('serves 200 requests over no more upstream connections than limits.connections, and closes with the server', async () => {
    upstream = await startUpstream()
    const registration = mooring({ scope: 'app', baseUrl: upstream.url, limits: { connections: 4 } })
    http = registration
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
    served = await serve(app)
    registration.closeWith(served.server)
    const base = served.url

    const results = await inBatches(200, 20, async (i) => {
      const res = await fetch(`${base}/relay/${i}`)
      return { status: res.status, body: (await res.json()) as { url: string; appClient: boolean } }
    })

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
    let reached: () => void = () => {}
    const upstreamReached = new Promise<void>((resolve) => {
      reached = resolve
    })
    let release: () => void = () => {}
    upstream = await startUpstream((_req, res) => {
      release = () => res.end('late but whole')
      reached()
    })
    const registration = mooring({ scope: 'app', baseUrl: upstream.url })
    http = registration
    const app = express()
    app.use(registration.middleware)
    app.get('/slow', async (req, res) => {
      res.send(await (await req.http.get('/slow')).text())
    })
    served = await serve(app)
    registration.closeWith(served.server)

    const inFlight = fetch(`${served.url}/slow`)
    await upstreamReached
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
