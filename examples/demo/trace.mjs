// `pnpm demo --trace`: one search through a flaky upstream, traced with the OpenTelemetry Node SDK
// and instrumentation-undici, printed as a tree: the inbound request, its outbound attempts, and the
// retry between them with its reason (Mooring's `mooring.retry` event on the inbound span).
import { once } from 'node:events'
import { createServer } from 'node:http'
import { createRegistration } from '@mooring/core'
import { instrumentMooring, undiciSpanAttributes } from '@mooring/core/otel'
import { context, propagation, SpanKind, trace } from '@opentelemetry/api'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'

/** An upstream that answers its first search 503 (Retry-After: 0), and the next ones. */
async function startFlakyUpstream() {
  let searches = 0
  const server = createServer((_req, res) => {
    searches++
    if (searches === 1) {
      res.writeHead(503, { 'retry-after': '0' }).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ results: [{ id: 1, name: 'Harbor Lights' }] }))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, url: `http://127.0.0.1:${server.address().port}` }
}

/**
 * Runs one `GET /movies/search?q=harbor` through an app on node:http with a Mooring registration,
 * its upstream failing once, under the OpenTelemetry SDK; returns the finished spans.
 */
export async function traceOneSearch() {
  const exporter = new InMemorySpanExporter()
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  provider.register()
  // The demo's own request to the app (by fetch, also undici) is the "browser": not traced.
  const undici = new UndiciInstrumentation({
    ignoreRequestHook: (request) => request.path.startsWith('/movies/'),
    // http.request.resend_count on a retried attempt's span.
    startSpanHook: undiciSpanAttributes,
  })
  undici.setTracerProvider(provider)
  undici.enable()
  const mooring = instrumentMooring({ metrics: false })
  const upstream = await startFlakyUpstream()
  const registration = createRegistration({
    baseUrl: upstream.url,
    retry: { backoff: { base: 1, max: 1 } },
  })
  const tracer = trace.getTracer('mooring-demo')
  // The app: what an HTTP server instrumentation would do is done by hand, one SERVER span per request.
  const app = createServer((req, res) => {
    const parent = propagation.extract(context.active(), req.headers)
    tracer.startActiveSpan(
      `${req.method} /movies/search`,
      { kind: SpanKind.SERVER },
      parent,
      async (span) => {
        const http = registration.openExchange(req, res)
        try {
          const { results } = await (await http.get('/3/search/tv', { query: { query: 'harbor' } })).json()
          res.end(JSON.stringify(results.map((show) => ({ id: show.id, title: show.name }))))
        } catch (err) {
          res.statusCode = 502
          res.end(String(err.code))
        } finally {
          span.end()
        }
      },
    )
  })
  app.listen(0, '127.0.0.1')
  await once(app, 'listening')
  try {
    const response = await fetch(`http://127.0.0.1:${app.address().port}/movies/search?q=harbor`)
    await response.text()
    return exporter.getFinishedSpans()
  } finally {
    app.close()
    await registration.close()
    upstream.server.close()
    mooring.disable()
    undici.disable()
    await provider.shutdown()
    trace.disable()
    context.disable()
    propagation.disable()
  }
}

const ms = (span) => Math.round((span.duration[0] * 1e9 + span.duration[1]) / 1e6)
const at = (time) => time[0] * 1e9 + time[1]

/** One line of the tree for a span: an outbound attempt shows its status and URL path. */
function describeSpan(span) {
  const a = span.attributes
  if (a['url.path'] !== undefined) {
    const status = a['http.response.status_code'] ?? a['error.type'] ?? '?'
    const resend =
      a['http.request.resend_count'] === undefined ? '' : `, resend ${a['http.request.resend_count']}`
    return `${span.name} ${a['url.path']}${a['url.query'] ?? ''}  → ${status}  (${ms(span)} ms, outbound attempt${resend})`
  }
  return `${span.name}  (${ms(span)} ms, inbound)`
}

function describeEvent(event) {
  const a = event.attributes ?? {}
  if (event.name === 'mooring.retry')
    return `↻ retry #${a['http.request.resend_count']}: ${a['mooring.retry.reason']}, after ${a['mooring.retry.delay_ms']} ms`
  return `! ${event.name} ${JSON.stringify(a)}`
}

/**
 * The spans as a tree, one line each: children under their parent in the order they started, and
 * the parent's Mooring events (retries, errors) among them at the time they happened.
 */
export function formatTrace(spans) {
  const ids = new Set(spans.map((s) => s.spanContext().spanId))
  const childrenOf = new Map()
  const roots = []
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId
    if (parent !== undefined && ids.has(parent)) {
      if (!childrenOf.has(parent)) childrenOf.set(parent, [])
      childrenOf.get(parent).push(span)
    } else roots.push(span)
  }
  const lines = []
  // A retry's event is stamped on its parent span's clock, which the SDK anchors to Date.now() (ms),
  // and the attempt it announces starts on the child's: with a Retry-After of 0 the two can swap by
  // a fraction of a millisecond. So a retry event goes right before the attempt it announces (the
  // one whose resend count it carries), wherever the clocks put it.
  const resendOf = (item) => (item.event ?? item.child).attributes?.['http.request.resend_count'] ?? undefined
  const retryBeforeItsAttempt = (items) => {
    for (const item of [...items]) {
      if (item.event === undefined || !item.event.name.includes('retry')) continue
      const n = resendOf(item)
      const attempt = items.findIndex((other) => other.child !== undefined && resendOf(other) === n)
      if (n === undefined || attempt === -1) continue
      items.splice(items.indexOf(item), 1)
      items.splice(
        items.findIndex((other) => other.child !== undefined && resendOf(other) === n),
        0,
        item,
      )
    }
    return items
  }
  const walk = (span, prefix, childPrefix) => {
    lines.push(prefix + describeSpan(span))
    const items = [
      ...(childrenOf.get(span.spanContext().spanId) ?? []).map((child) => ({
        time: at(child.startTime),
        child,
      })),
      ...span.events
        .filter((e) => e.name.startsWith('mooring.'))
        .map((event) => ({ time: at(event.time), event })),
    ].sort((x, y) => x.time - y.time)
    retryBeforeItsAttempt(items)
    items.forEach((item, i) => {
      const last = i === items.length - 1
      const branch = childPrefix + (last ? '└─ ' : '├─ ')
      const below = childPrefix + (last ? '   ' : '│  ')
      if (item.child) walk(item.child, branch, below)
      else lines.push(branch + describeEvent(item.event))
    })
  }
  for (const root of roots.sort((x, y) => at(x.startTime) - at(y.startTime))) walk(root, '', '')
  return lines.join('\n')
}

export async function main() {
  const spans = await traceOneSearch()
  const traces = new Set(spans.map((s) => s.spanContext().traceId))
  console.log(`One search, its upstream failing once (${spans.length} spans, ${traces.size} trace):\n`)
  console.log(formatTrace(spans))
}
