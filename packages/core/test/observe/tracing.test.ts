import { AsyncLocalStorage } from 'node:async_hooks'
import { SpanKind, trace } from '@opentelemetry/api'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { undiciSpanAttributes } from '@mooring/core/otel'
import { Registration } from '../../src/index.js'
import * as fixture from '../support/fixtures.js'
import { sleep } from '../support/upstream.js'
import { parentOf, startTracing, type TracingSdk } from './otel-sdk.js'

let sdk: TracingSdk
beforeEach(() => {
  sdk = startTracing({ startSpanHook: undiciSpanAttributes })
})
afterEach(async () => {
  await sdk.shutdown()
})

/** An upstream that answers 503 to the first request of each path and 200 to the next, a little late. */
async function flakyUpstream() {
  const seen = new Map<string, number>()
  return fixture.upstream(async (req, res) => {
    const count = (seen.get(req.url ?? '') ?? 0) + 1
    seen.set(req.url ?? '', count)
    await sleep(15)
    res.statusCode = count === 1 && req.url !== '/warm' ? 503 : 200
    res.end(String(count))
  })
}

describe('tracing with the OpenTelemetry SDK and instrumentation-undici', () => {
  it('keeps every attempt of concurrent calls on one connection in its own trace, under its caller', async () => {
    const upstream = await flakyUpstream()
    const requestId = new AsyncLocalStorage<string>()
    const seenByHooks: string[] = []
    const client = fixture.client({
      baseUrl: upstream.url,
      limits: { connections: 1 },
      retry: { limit: 1, backoff: { base: 5, max: 5 }, budget: false },
      hooks: {
        onRetry: (e) =>
          seenByHooks.push(`retry ${e.url.slice(upstream.url.length)} in ${requestId.getStore()}`),
        onResponse: (e) =>
          seenByHooks.push(`response ${e.url.slice(upstream.url.length)} in ${requestId.getStore()}`),
      },
    })
    // The one connection is opened outside any span or store: what a retry would inherit without the fix.
    await (await client.get('/warm')).text()
    seenByHooks.length = 0

    const tracer = trace.getTracer('test')
    const inbound = (name: 'a' | 'b') =>
      requestId.run(`request ${name}`, () =>
        tracer.startActiveSpan(`inbound ${name}`, async (span) => {
          const response = await client.get(`/${name}`)
          await response.text()
          span.end()
          return { status: response.status, attempts: response.attempts, span }
        }),
      )
    const [a, b] = await Promise.all([inbound('a'), inbound('b')])
    expect([a.status, a.attempts, b.status, b.attempts]).toEqual([200, 2, 200, 2])

    const clientSpans = sdk.spans().filter((s) => s.kind === SpanKind.CLIENT)
    for (const { span, path } of [
      { span: a.span, path: '/a' },
      { span: b.span, path: '/b' },
    ]) {
      const attempts = clientSpans.filter((s) => s.attributes['url.path'] === path)
      expect(attempts.map((s) => s.attributes['http.response.status_code'])).toEqual([503, 200])
      // OpenTelemetry's resend count, on the retried attempt's own span (undiciSpanAttributes).
      expect(attempts.map((s) => s.attributes['http.request.resend_count'])).toEqual([undefined, 1])
      for (const attempt of attempts) {
        expect(attempt.spanContext().traceId).toBe(span.spanContext().traceId)
        expect(parentOf(attempt)).toBe(span.spanContext().spanId)
      }
    }
    // The warm-up call had no parent: its span is a root, the only one.
    expect(clientSpans.filter((s) => parentOf(s) === undefined).map((s) => s.attributes['url.path'])).toEqual(
      ['/warm'],
    )

    // Each request reached the upstream with one traceparent, of its own trace.
    for (const request of upstream.requests.filter((r) => r.url !== '/warm')) {
      const traceparent = String(request.headers.traceparent)
      expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
      const owner = request.url === '/a' ? a.span : b.span
      expect(traceparent.split('-')[1]).toBe(owner.spanContext().traceId)
    }

    expect(seenByHooks.sort()).toEqual([
      'response /a in request a',
      'response /b in request b',
      'retry /a in request a',
      'retry /b in request b',
    ])
  })

  it('keeps a redirect hop in its caller’s trace, with its resend count, and its hooks in its request', async () => {
    const upstream = await fixture.upstream(async (req, res) => {
      await sleep(10)
      if (req.url?.startsWith('/old/')) res.writeHead(302, { location: req.url.replace('/old/', '/new/') })
      res.end()
    })
    const requestId = new AsyncLocalStorage<string>()
    const seen: string[] = []
    const client = fixture.client({
      baseUrl: upstream.url,
      limits: { connections: 1 },
      followRedirects: true,
      hooks: {
        onResponse: (e) =>
          seen.push(`${e.status} ${e.url.slice(upstream.url.length)} in ${requestId.getStore()}`),
      },
    })
    await (await client.get('/warm')).text()
    seen.length = 0
    const tracer = trace.getTracer('test')
    const inbound = (name: string) =>
      requestId.run(`request ${name}`, () =>
        tracer.startActiveSpan(`inbound ${name}`, async (span) => {
          await (await client.get(`/old/${name}`)).text()
          span.end()
          return span
        }),
      )
    // Two at once (each hop queued behind the other's request), then one alone (its hop sent at once).
    const spans = await Promise.all([inbound('a'), inbound('b')])
    spans.push(await inbound('c'))
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      const hops = sdk
        .spans()
        .filter((s) => s.kind === SpanKind.CLIENT && String(s.attributes['url.path']).endsWith(`/${name}`))
      expect(hops.map((s) => [s.attributes['url.path'], s.attributes['http.request.resend_count']])).toEqual([
        [`/old/${name}`, undefined],
        [`/new/${name}`, 1],
      ])
      for (const hop of hops) expect(parentOf(hop)).toBe(spans[i]!.spanContext().spanId)
    }
    expect(seen.sort()).toEqual([
      '200 /new/a in request a',
      '200 /new/b in request b',
      '200 /new/c in request c',
    ])
  })

  it('keeps a stale-connection replay in its caller’s trace and its onRetry in its request', async () => {
    // The server drops a keep-alive connection when a second request arrives on it, unanswered.
    const served = new WeakMap<object, number>()
    const upstream = await fixture.upstream((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1
      served.set(req.socket, n)
      if (n > 1) req.socket.destroy()
      else res.end('ok')
    })
    const requestId = new AsyncLocalStorage<string>()
    const seen: string[] = []
    const client = fixture.client({
      baseUrl: upstream.url,
      limits: { connections: 1 },
      retry: false,
      hooks: { onRetry: (e) => seen.push(`${e.reason} in ${requestId.getStore()}`) },
    })
    await (await client.get('/warm')).text() // opens the connection outside any span or store
    const span = await requestId.run('request x', () =>
      trace.getTracer('test').startActiveSpan('inbound x', async (inbound) => {
        const response = await client.get('/x')
        await response.text()
        expect(response.attempts).toBe(2)
        inbound.end()
        return inbound
      }),
    )
    const attempts = sdk
      .spans()
      .filter((s) => s.kind === SpanKind.CLIENT && s.attributes['url.path'] === '/x')
    expect(attempts).toHaveLength(2)
    for (const attempt of attempts) expect(parentOf(attempt)).toBe(span.spanContext().spanId)
    expect(attempts.map((s) => s.attributes['http.request.resend_count'])).toEqual([undefined, 1])
    expect(seen).toEqual(['stale-connection in request x'])
  })

  it('sends one traceparent when propagate names it and the instrumentation injects it', async () => {
    const upstream = await fixture.upstream()
    const registration = new Registration({
      baseUrl: upstream.url,
      propagate: ['traceparent', 'x-request-id'],
    })
    const inboundTraceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const inbound = { headers: { traceparent: inboundTraceparent, 'x-request-id': 'req-1' } }
    try {
      const scoped = registration.open(inbound)
      await trace.getTracer('test').startActiveSpan('inbound', async (span) => {
        await (await scoped.get('/with-otel')).text()
        span.end()
      })
      await registration.release(scoped)

      // With no instrumentation listening, propagate copies the inbound trace context as before.
      sdk.instrumentation.disable()
      const plain = registration.open(inbound)
      await (await plain.get('/without-otel')).text()
      await registration.release(plain)
    } finally {
      await registration.close()
    }

    const [withOtel, withoutOtel] = upstream.requests
    expect(withOtel?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    expect(withOtel?.headers.traceparent).not.toContain(',')
    expect(withOtel?.headers.traceparent).not.toBe(inboundTraceparent)
    expect(withOtel?.headers['x-request-id']).toBe('req-1')
    expect(withoutOtel?.headers.traceparent).toBe(inboundTraceparent)
    expect(withoutOtel?.headers['x-request-id']).toBe('req-1')
  })
})

describe('the caller’s context with no hook and no instrumentation', () => {
  it('reaches an interceptor on every attempt, and middleware, of concurrent calls sharing one connection', async () => {
    await sdk.shutdown() // no subscriber on undici's channels: only the interceptor needs the context
    sdk = startTracing()
    sdk.instrumentation.disable()
    const upstream = await flakyUpstream()
    const requestId = new AsyncLocalStorage<string>()
    const seen: string[] = []
    const client = fixture.client({
      baseUrl: upstream.url,
      limits: { connections: 1 },
      retry: { limit: 1, backoff: { base: 5, max: 5 }, budget: false },
      interceptors: [
        (dispatch) => (options, handler) => {
          seen.push(`${options.path} in ${requestId.getStore()}`)
          return dispatch(options, handler)
        },
      ],
      middleware: [
        async (request, next) => {
          const response = await next(request)
          seen.push(`middleware ${new URL(request.url).pathname} in ${requestId.getStore()}`)
          return response
        },
      ],
    })
    await (await client.get('/warm')).text()
    seen.length = 0
    const call = (name: string) =>
      requestId.run(`request ${name}`, async () => (await client.get(`/${name}`)).text())
    await Promise.all([call('a'), call('b')])
    expect(seen.sort()).toEqual([
      '/a in request a',
      '/a in request a',
      '/b in request b',
      '/b in request b',
      'middleware /a in request a',
      'middleware /b in request b',
    ])
  })
})
