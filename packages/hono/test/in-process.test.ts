import { AbortError } from '@mooring/core'
import { appTransport } from '@mooring/core/testing'
import type { HonoMooring } from '@mooring/hono'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { beforeEach, describe, expect, it } from 'vitest'
import { waitFor, within } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import type { HangingUpstream } from '../../core/test/support/upstream.js'
import { register } from './support/serve.js'

/** Never answers /hang; echoes the rest with the x-request-id it got. */
let upstream: HangingUpstream
let http: HonoMooring

beforeEach(async () => {
  upstream = await fixture.hanging((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ url: req.url, requestId: req.headers['x-request-id'] ?? null }))
  })
  http = register({ baseUrl: upstream.url, propagate: ['x-request-id'] })
})

function app() {
  return new Hono()
    .onError((_err, c) => c.text('failed', 500))
    .use(http.middleware)
    .get('/proxy/:n', async (c) => {
      const res = await c.var.http.get(`/item/${c.req.param('n')}`)
      return c.json(await res.json())
    })
    .get('/wait', async (c) => {
      await c.var.http.get('/hang')
      return c.text('unreachable')
    })
    .get('/sse', (c) =>
      streamSSE(c, async (sse) => {
        for (let i = 0; i < 2; i++) {
          const res = await c.var.http.get(`/event/${i}`)
          await sse.writeSSE({ data: (await res.json<{ url: string }>()).url })
        }
      }),
    )
}

describe("hono's app.request()", () => {
  it('aborts the upstream call when the request signal aborts', async () => {
    const downstream = new AbortController()
    const failed = Promise.resolve(app().request('/wait', { signal: downstream.signal })).then(
      (res) => res.status,
      (err: unknown) => err,
    )
    await upstream.hungCount(1)
    downstream.abort()
    await within(upstream.hung[0].connectionClosed, 1_000, 'the upstream connection to close')
    // hono answers the aborted call's error with onError; the scope goes though nobody reads the body.
    expect(await failed).toBe(500)
    await waitFor(() => http.stats().scopesClosed === 1, 'the scope to be released')
  })
})

describe("core's appTransport, no socket", () => {
  it('drives the app in-process while the app calls a real upstream', async () => {
    const tester = fixture.client({ baseUrl: 'http://app.test', transport: appTransport(app()) })
    for (let i = 0; i < 10; i++) {
      const res = await tester.get(`/proxy/${i}`, { headers: { 'x-request-id': `t-${i}` } })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ url: `/item/${i}`, requestId: `t-${i}` })
    }
    await waitFor(() => http.stats().scopesClosed === 10, 'every scope to be released')
    expect(http.stats()).toMatchObject({ scopesOpened: 10, scopesClosed: 10 })
  })

  it('streams a streamSSE() response, releasing the scope after it', async () => {
    const tester = fixture.client({ baseUrl: 'http://app.test', transport: appTransport(app()) })
    const res = await tester.get('/sse')
    expect(await res.text()).toBe('data: /event/0\n\ndata: /event/1\n\n')
    await waitFor(() => http.stats().scopesClosed === 1, 'the scope to be released')
  })

  it('aborts the upstream call when the in-process call is aborted', async () => {
    const tester = fixture.client({ baseUrl: 'http://app.test', transport: appTransport(app()) })
    const downstream = new AbortController()
    const failed = tester.get('/wait', { signal: downstream.signal }).catch((err: unknown) => err)
    await upstream.hungCount(1)
    downstream.abort()
    expect(await failed).toBeInstanceOf(AbortError)
    await within(upstream.hung[0].connectionClosed, 1_000, 'the upstream connection to close')
    await waitFor(() => http.stats().scopesClosed === 1, 'the scope to be released')
  })
})
