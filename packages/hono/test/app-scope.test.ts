import type { MooringClient } from '@mooring/core'
import { Hono } from 'hono'
import { beforeEach, describe, expect, it } from 'vitest'
import { deferred, inBatches } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import type { Upstream } from '../../core/test/support/upstream.js'
import { register, serveApp } from './support/serve.js'

let upstream: Upstream

beforeEach(async () => {
  upstream = await fixture.upstream((req, res) => {
    const delay = req.url === '/slow' ? 200 : 0
    setTimeout(() => res.end(JSON.stringify({ url: req.url })), delay)
  })
})

describe("scope: 'app'", () => {
  it('serves 200 requests over at most limits.connections upstream connections, and closes them at shutdown', async () => {
    const http = register({ scope: 'app', baseUrl: upstream.url, limits: { connections: 4 } })
    const seen = new Set<MooringClient>()
    const app = new Hono().use(http.middleware).get('/proxy/:n', async (c) => {
      seen.add(c.var.http)
      const res = await c.var.http.get(`/item/${c.req.param('n')}`)
      return c.json(await res.json())
    })
    const served = await serveApp(app)

    await inBatches(200, 20, async (i) => {
      const res = await fetch(`${served.url}/proxy/${i}`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ url: `/item/${i}` })
    })

    expect(upstream.requests).toHaveLength(200)
    expect(upstream.connections).toBeGreaterThan(0)
    expect(upstream.connections).toBeLessThanOrEqual(4)
    // Every handler saw the app client itself, and no scope was made.
    expect([...seen]).toEqual([http.client])
    expect(http.stats()).toMatchObject({ scopesOpened: 0, scopesClosed: 0 })

    http.closeWith(served.server)
    await served.close()
    // closeWith closed the client on the server's 'close'; close() is the same promise.
    expect(http.client.closed).toBe(true)
    await http.close()
    await upstream.waitForOpen(0)
  })

  it('lets requests in flight at shutdown finish before the client closes', async () => {
    const http = register({ scope: 'app', baseUrl: upstream.url })
    const arrived = deferred()
    const app = new Hono().use(http.middleware).get('/slow', async (c) => {
      arrived.resolve()
      const res = await c.var.http.get('/slow')
      return c.json(await res.json())
    })
    const served = await serveApp(app)

    const pending = fetch(`${served.url}/slow`)
    await arrived.promise
    // The usual order: stop taking requests, then close the client; both begin while one is in flight.
    const shutdown = Promise.all([served.close(), http.close()])
    const res = await pending
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ url: '/slow' })
    await shutdown
    expect(http.client.closed).toBe(true)
    await upstream.waitForOpen(0)
  })

  it('current() is the app client, inside a request and outside one', async () => {
    const http = register({ scope: 'app', baseUrl: upstream.url })
    const app = new Hono()
      .use(http.middleware)
      .get('/', (c) => c.json({ same: http.current() === c.var.http && c.var.http === http.client }))
    const res = await app.request('/')
    expect(await res.json()).toEqual({ same: true })
    expect(http.current()).toBe(http.client)
    await http.close()
  })
})
