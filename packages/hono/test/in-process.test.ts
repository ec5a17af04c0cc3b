import type { Socket } from 'node:net'
import { AbortError, appTransport, createClient, type MooringClient } from '@mooring/core'
import { type HonoMooring, mooring } from '@mooring/hono'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startUpstream, type Upstream } from '../../core/test/support/upstream.js'
import { deferred, until, within } from './support/serve.js'

let upstream: Upstream
let http: HonoMooring
let tester: MooringClient | undefined
let hanging: Array<{ socket: Socket; closed: Promise<void> }>
let hangArrived: ReturnType<typeof deferred<void>>

beforeEach(async () => {
  hanging = []
  hangArrived = deferred()
  upstream = await startUpstream((req, res) => {
    if (req.url === '/hang') {
      const closed = deferred()
      req.socket.once('close', () => closed.resolve())
      hanging.push({ socket: req.socket, closed: closed.promise })
      hangArrived.resolve()
      return
    }
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ url: req.url, requestId: req.headers['x-request-id'] ?? null }))
  })
  http = mooring({ baseUrl: upstream.url, propagate: ['x-request-id'] })
})
afterEach(async () => {
  await tester?.close()
  tester = undefined
  await http.close()
  await upstream.close()
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
    await within(hangArrived.promise, 2_000, 'the upstream call to arrive')
    downstream.abort()
    await within(hanging[0].closed, 1_000, 'the upstream connection to close')
    // hono answers the aborted call's error with onError; the scope goes though nobody reads the body.
    expect(await failed).toBe(500)
    await until(() => http.stats().scopesClosed === 1, 'the scope to be released')
  })
})

describe("core's appTransport, no socket", () => {
  it('drives the app in-process while the app calls a real upstream', async () => {
    tester = createClient({ baseUrl: 'http://app.test', transport: appTransport(app()) })
    for (let i = 0; i < 10; i++) {
      const res = await tester.get(`/proxy/${i}`, { headers: { 'x-request-id': `t-${i}` } })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ url: `/item/${i}`, requestId: `t-${i}` })
    }
    await until(() => http.stats().scopesClosed === 10, 'every scope to be released')
    expect(http.stats()).toMatchObject({ scopesOpened: 10, scopesClosed: 10 })
  })

  it('streams a streamSSE() response, releasing the scope after it', async () => {
    tester = createClient({ baseUrl: 'http://app.test', transport: appTransport(app()) })
    const res = await tester.get('/sse')
    expect(await res.text()).toBe('data: /event/0\n\ndata: /event/1\n\n')
    await until(() => http.stats().scopesClosed === 1, 'the scope to be released')
  })

  it('aborts the upstream call when the in-process call is aborted', async () => {
    tester = createClient({ baseUrl: 'http://app.test', transport: appTransport(app()) })
    const downstream = new AbortController()
    const failed = tester.get('/wait', { signal: downstream.signal }).catch((err: unknown) => err)
    await within(hangArrived.promise, 2_000, 'the upstream call to arrive')
    downstream.abort()
    expect(await failed).toBeInstanceOf(AbortError)
    await within(hanging[0].closed, 1_000, 'the upstream connection to close')
    await until(() => http.stats().scopesClosed === 1, 'the scope to be released')
  })
})
