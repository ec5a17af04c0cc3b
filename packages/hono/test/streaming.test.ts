import type { HonoMooring } from '@mooring/hono'
import { Hono } from 'hono'
import { stream, streamSSE } from 'hono/streaming'
import { beforeEach, describe, expect, it } from 'vitest'
import { deferred, waitFor, within } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import { register, serveApp } from './support/serve.js'

let http: HonoMooring
/** How the endless stream's callback ended: 'aborted' (the stream was cancelled) or the error it met. */
let endless: ReturnType<typeof deferred<string>>

beforeEach(async () => {
  const upstream = await fixture.upstream((req, res) => {
    res.end(JSON.stringify({ url: req.url }))
  })
  http = register({ baseUrl: upstream.url, context: true })
  endless = deferred<string>()
})

/** Routes that call upstream while their response is streaming, and report whether their client was live. */
function streamingApp() {
  return new Hono()
    .use(http.middleware)
    .get('/sse', (c) =>
      streamSSE(c, async (sse) => {
        for (let i = 0; i < 3; i++) {
          // The service-style accessor still finds this request's client after the handler returned.
          const client = i === 1 ? http.current() : c.var.http
          const res = await client.get(`/event/${i}`)
          const { url } = await res.json<{ url: string }>()
          const live = client === c.var.http && !client.closed && http.stats().scopesClosed === 0
          await sse.writeSSE({ data: JSON.stringify({ url, live }) })
          await sse.sleep(20)
        }
      }),
    )
    .get('/chunks', (c) =>
      stream(c, async (s) => {
        for (let i = 0; i < 3; i++) {
          const res = await c.var.http.get(`/chunk/${i}`)
          const { url } = await res.json<{ url: string }>()
          await s.write(`${url} ${!c.var.http.closed && http.stats().scopesClosed === 0}\n`)
          await s.sleep(20)
        }
      }),
    )
    .get('/endless', (c) =>
      stream(c, async (s) => {
        try {
          // Bounded: 500 × 20 ms, far longer than the test lets it run.
          for (let i = 0; i < 500 && !s.aborted; i++) {
            const res = await c.var.http.get(`/tick/${i}`)
            await res.dump()
            await s.write(`tick ${i}\n`)
            await s.sleep(20)
          }
          endless.resolve(s.aborted ? 'aborted' : 'ran to the end')
        } catch (err) {
          endless.resolve((err as Error).name)
        }
      }),
    )
}

function parseSse(text: string): Array<{ url: string; live: boolean }> {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => JSON.parse(block.slice('data: '.length)))
}

describe('streaming responses on @hono/node-server', () => {
  it('keeps the client live while streamSSE() runs, and closes it when the stream ends', async () => {
    const served = await serveApp(streamingApp())
    const res = await fetch(`${served.url}/sse`)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    expect(parseSse(await res.text())).toEqual([
      { url: '/event/0', live: true },
      { url: '/event/1', live: true },
      { url: '/event/2', live: true },
    ])
    await waitFor(() => http.stats().scopesClosed === 1, 'the scope to be released after the stream')
    expect(http.stats()).toMatchObject({ scopesOpened: 1, scopesClosed: 1, inFlight: 0 })
  })

  it('keeps the client live while stream() runs, and closes it when the stream ends', async () => {
    const served = await serveApp(streamingApp())
    const res = await fetch(`${served.url}/chunks`)
    expect(await res.text()).toBe('/chunk/0 true\n/chunk/1 true\n/chunk/2 true\n')
    await waitFor(() => http.stats().scopesClosed === 1, 'the scope to be released after the stream')
  })

  it('closes the client when the downstream client cancels the stream', async () => {
    const served = await serveApp(streamingApp())
    const downstream = new AbortController()
    const res = await fetch(`${served.url}/endless`, { signal: downstream.signal })
    const reader = res.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('tick 0')
    expect(http.stats().scopesClosed).toBe(0)
    downstream.abort()

    await waitFor(() => http.stats().scopesClosed === 1, 'the scope to be released on cancel')
    // The streaming callback stops: its stream was aborted, or its next call met the closed scope.
    expect(['aborted', 'AbortError', 'ClientClosedError']).toContain(
      await within(endless.promise, 2_000, 'the streaming callback to stop'),
    )
    expect(http.stats().inFlight).toBe(0)
  })
})

describe('streaming responses in-process (app.request), through the wrapped body', () => {
  it('keeps the client live while streamSSE() runs, and closes it when the body has been read', async () => {
    const res = await streamingApp().request('/sse')
    expect(parseSse(await res.text())).toEqual([
      { url: '/event/0', live: true },
      { url: '/event/1', live: true },
      { url: '/event/2', live: true },
    ])
    await waitFor(() => http.stats().scopesClosed === 1, 'the scope to be released after the stream')
  })

  it('closes the client when the body is cancelled', async () => {
    const res = await streamingApp().request('/endless')
    const reader = res.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('tick 0')
    expect(http.stats().scopesClosed).toBe(0)
    await reader.cancel()

    expect(http.stats().scopesClosed).toBe(1)
    expect(['aborted', 'AbortError', 'ClientClosedError']).toContain(
      await within(endless.promise, 2_000, 'the streaming callback to stop'),
    )
  })

  it('closes the client of a plain response once its body has been read', async () => {
    const app = new Hono().use(http.middleware).get('/', async (c) => {
      const res = await c.var.http.get('/plain')
      return c.json(await res.json())
    })
    const res = await app.request('/')
    expect(await res.json()).toEqual({ url: '/plain' })
    expect(http.stats()).toMatchObject({ scopesOpened: 1, scopesClosed: 1 })

    const empty = await new Hono()
      .use(http.middleware)
      .get('/', (c) => c.body(null, 204))
      .request('/')
    expect(empty.status).toBe(204)
    expect(http.stats()).toMatchObject({ scopesOpened: 2, scopesClosed: 2 })
  })
})
