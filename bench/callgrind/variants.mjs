// What the callgrind section counts: the client variants of issue 17's table, and "features off":
// the app client with each feature of this round configured off, against the same client with the
// feature not configured at all. A feature whose option core does not accept yet is reported as
// pending (its creation throws, naming the option), so the section measures whatever core has.
import { createRequire } from 'node:module'
import { BufferingHandler, CLIENTS } from '../clients/adapters.mjs'
import { importFrom } from '../lib/resolve.mjs'

const PATH = '/json'
const pick = (name) => CLIENTS.find((c) => c.name === name)

/** The client table: the floor, what users write with undici, Mooring, and the clients people use instead. */
export const CLIENT_VARIANTS = [
  ...['undici-dispatch', 'undici-request', 'mooring-app', 'mooring-scope'].map(pick),
  // Ten times the instructions of the rest, so ten times the time under valgrind: 16 in flight only.
  // Fewer requests too: their warm-up is a smaller share of what they count.
  ...['fetch', 'axios', 'got'].map((name) => ({
    ...pick(name),
    inflight: [16],
    counts: { warmup: 1_500, segment: 500, segments: 4 },
  })),
]

/** What `get()` resolves with, reduced: status, headers, the buffered body, and `json()`. */
class BufferedResponse {
  constructor(status, headers, chunks) {
    this.status = status
    this.headers = headers
    this.chunks = chunks
  }
  async json() {
    const chunks = this.chunks
    return JSON.parse((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString())
  }
}

/** The floor's handler, resolving a response object at the end of the body instead of the JSON. */
class ResponseHandler extends BufferingHandler {
  onResponseStart(_controller, statusCode, headers) {
    this.statusCode = statusCode
    this.headers = headers
  }
  onResponseEnd() {
    this.resolve(new BufferedResponse(this.statusCode, this.headers, this.chunks))
  }
}

/**
 * Probes: the floor with one of the app client's costs added, so each cost is a difference of two
 * counts, both whole and repeatable (a profile can name V8's JIT-compiled functions only through
 * V8's perf map, `--perf-basic-prof`, read beside callgrind's output; a probe needs neither).
 */
/**
 * The headers the app client sends on every request by default, as core makes them
 * (features/user-agent.ts, features/decompress.ts): `user-agent: mooring/<version>` and, with
 * decompression on (the default), `accept-encoding`.
 */
function mooringDefaultHeaders() {
  const require = createRequire(import.meta.url)
  const { version } = require('../../packages/core/package.json')
  const zstd = typeof require('node:zlib').createZstdDecompress === 'function'
  return {
    'user-agent': `mooring/${version}`,
    'accept-encoding': zstd ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br',
  }
}

export const PROBE_VARIANTS = [
  {
    name: 'probe-headers',
    label: "floor sending the app client's two default request headers (user-agent, accept-encoding)",
    inflight: [16],
    async create({ url, connections }) {
      const { Pool } = await importFrom('core', 'undici')
      const pool = new Pool(url, { connections })
      const options = { path: PATH, method: 'GET', headers: mooringDefaultHeaders() }
      return {
        call: () =>
          new Promise((resolve, reject) => pool.dispatch(options, new BufferingHandler(resolve, reject))),
        close: () => pool.close(),
      }
    },
  },
  {
    name: 'probe-agent',
    label: 'floor through an undici Agent (a layer the app client now skips: calls go to the Pool)',
    inflight: [16],
    async create({ url, connections }) {
      const { Agent } = await importFrom('core', 'undici')
      const agent = new Agent({ connections })
      const options = { origin: url, path: PATH, method: 'GET' }
      return {
        call: () =>
          new Promise((resolve, reject) => agent.dispatch(options, new BufferingHandler(resolve, reject))),
        close: () => agent.close(),
      }
    },
  },
  {
    name: 'probe-response',
    label: 'floor resolving a response object, then `.json()` as a second promise',
    inflight: [16],
    async create({ url, connections }) {
      const { Pool } = await importFrom('core', 'undici')
      const pool = new Pool(url, { connections })
      const options = { path: PATH, method: 'GET' }
      return {
        call: async () =>
          await (
            await new Promise((resolve, reject) =>
              pool.dispatch(options, new ResponseHandler(resolve, reject)),
            )
          ).json(),
        close: () => pool.close(),
      }
    },
  },
  {
    name: 'probe-timer',
    label: 'floor with a 25 ms interval timer (the deadline sweeper’s tick)',
    inflight: [16],
    async create({ url, connections }) {
      const { Pool } = await importFrom('core', 'undici')
      const pool = new Pool(url, { connections })
      const options = { path: PATH, method: 'GET' }
      let ticks = 0
      const timer = setInterval(() => ticks++, 25)
      return {
        call: () =>
          new Promise((resolve, reject) => pool.dispatch(options, new BufferingHandler(resolve, reject))),
        close: async () => {
          clearInterval(timer)
          await pool.close()
        },
      }
    },
  },
]

// The OpenTelemetry packages are core's devDependencies (its peer in apps): resolved from there.
const requireFromCore = createRequire(new URL('../../packages/core/package.json', import.meta.url))

/**
 * The OpenTelemetry metrics SDK as an app sets it up: a global MeterProvider with a reader. The
 * reader's export (once a minute in an app, amortized over that minute's requests) is put past the
 * run, so no segment holds one; what is counted is recording. Returns the reader and the teardown.
 */
function meterProvider() {
  const { metrics } = requireFromCore('@opentelemetry/api')
  const { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } =
    requireFromCore('@opentelemetry/sdk-metrics')
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  })
  const provider = new MeterProvider({ readers: [reader] })
  metrics.setGlobalMeterProvider(provider)
  return { reader, shutdown: () => provider.shutdown() }
}

/** `instrumentMooring(options)` from `@mooring/core/otel`, with the SDK's MeterProvider or without one. */
function otel(options, { sdk }) {
  return async () => {
    const provider = sdk ? meterProvider() : null
    const { instrumentMooring } = await import('@mooring/core/otel')
    const instrumentation = instrumentMooring(options)
    return {
      async check(requests) {
        if (options.metrics === false || !sdk) {
          return instrumentation.metrics ? 'instrumentMooring() reports metrics on' : null
        }
        const { resourceMetrics } = await provider.reader.collect()
        const duration = resourceMetrics.scopeMetrics
          .flatMap((s) => s.metrics)
          .find((m) => m.descriptor.name === 'http.client.request.duration')
        const recorded = (duration?.dataPoints ?? []).reduce((sum, p) => sum + p.value.count, 0)
        return recorded >= requests ? null : `${recorded} durations recorded for ${requests} requests`
      },
      async close() {
        instrumentation.disable()
        await provider?.shutdown()
      },
    }
  }
}

/** A diagnostics_channel subscriber that does nothing, as an APM's would before its own work. */
function subscriber(channel) {
  return async () => {
    const { default: diagnosticsChannel } = await import('node:diagnostics_channel')
    let seen = 0
    const listener = () => seen++
    diagnosticsChannel.subscribe(channel, listener)
    return {
      check: (requests) => (seen >= requests ? null : `${seen} ${channel} messages for ${requests} requests`),
      close: async () => diagnosticsChannel.unsubscribe(channel, listener),
    }
  }
}

/** Calls of the one-hook variant's hook (one variant per process). */
let hookCalls = 0
function countHook() {
  hookCalls++
}

/**
 * Each feature of issue 17's target 4 (and of earlier rounds), off and on. `off` is the feature
 * configured off, or what "off" is where core has no option: nothing observes, for context capture
 * (core captures a call's context only when a hook, a `mooring:*` or `undici:request:create`
 * subscriber, or the app's interceptors could read it); `instrumentMooring({ metrics: false })`
 * with the SDK in place, for metrics. Each `on` is a minimal configuration that the feature acts on
 * in every call, against the same upstream; `measures` says what its row counts.
 */
export const FEATURES = [
  {
    name: 'middleware',
    off: [{ config: '`middleware: []`', options: { middleware: [] } }],
    on: [
      {
        id: 'middleware',
        config: 'one pass-through middleware, `(request, next) => next(request)`',
        measures: 'the middleware chain around the call: the request object handed to it and `next`',
        options: { middleware: [(request, next) => next(request)] },
      },
    ],
  },
  {
    name: 'interceptors',
    off: [{ config: '`interceptors: []`', options: { interceptors: [] } }],
    on: [
      {
        id: 'interceptor',
        config:
          'one pass-through undici interceptor, `(dispatch) => (opts, handler) => dispatch(opts, handler)`',
        measures:
          'the pool composed with it, and the call’s async context captured (an interceptor is the app’s code, run where the dispatch happens)',
        options: { interceptors: [(dispatch) => (opts, handler) => dispatch(opts, handler)] },
      },
    ],
  },
  {
    name: 'decompression',
    off: [{ config: '`decompress: false`', options: { decompress: false } }],
    on: [
      {
        id: 'gzip',
        config: 'on (the default), the same JSON gzipped (184 bytes, `content-encoding: gzip`)',
        measures:
          'decoding a gzip body per response (undici’s decompress handler and zlib), against the plain body',
        options: {},
        path: '/json.gz',
        async check(_client, _requests, url) {
          // The upstream must have sent gzip: ask for the raw bytes once.
          const { createClient } = await import('@mooring/core')
          const raw = createClient({ baseUrl: url, decompress: false })
          try {
            const response = await raw.get('/json.gz', { headers: { 'accept-encoding': 'gzip' } })
            const bytes = await response.bytes()
            return bytes[0] === 0x1f && bytes[1] === 0x8b ? null : 'the upstream did not answer gzip'
          } finally {
            await raw.close()
          }
        },
      },
    ],
  },
  {
    name: 'rate limit',
    off: [{ config: '`rateLimit: false`', options: { rateLimit: false } }],
    on: [
      {
        id: 'rate-limit',
        config: '`rateLimit: { rps: 1e9, burst: 1e6 }` (in-memory, never reached)',
        measures: 'taking a token from the origin’s bucket per call, never waiting',
        options: { rateLimit: { rps: 1e9, burst: 1e6 } },
      },
    ],
  },
  {
    name: 'cache',
    off: [{ config: '`cache: false`', options: { cache: false } }],
    on: [
      {
        id: 'cache-hit',
        config: '`cache: true`, a cacheable answer (`public, max-age=86400`): every call a hit',
        measures:
          'a hit: the answer from undici’s in-memory store, no request sent (so less than the network path)',
        options: { cache: true },
        path: '/json.cached',
        check: (client, requests) => {
          const { hits } = client.stats().cache
          return hits >= requests ? null : `${hits} cache hits for ${requests} requests`
        },
      },
      {
        id: 'cache-miss',
        config: '`cache: true`, an answer with no caching headers: every call a miss',
        measures: 'a miss: the store looked up, the request sent, the answer judged not storable',
        options: { cache: true },
        check: (client, requests) => {
          const { hits, misses } = client.stats().cache
          return hits === 0 && misses >= requests
            ? null
            : `${hits} hits, ${misses} misses for ${requests} requests`
        },
      },
    ],
  },
  {
    name: 'cookies',
    off: [{ config: '`cookies: false`', options: { cookies: false } }],
    on: [
      {
        id: 'cookies',
        config: '`cookies: true`, the upstream setting a session cookie on every answer',
        measures:
          'the jar per call: the cookie read into the request, the `set-cookie` stored (tough-cookie)',
        options: { cookies: true },
        path: '/json.cookie',
        async check(client) {
          const response = await client.get('/json.cookie')
          await response.dump()
          return response.headers['x-had-cookie'] === 'yes' ? null : 'the cookie did not come back'
        },
      },
    ],
  },
  {
    name: 'context capture',
    off: [
      {
        config:
          'nothing observes (core has no option: it captures only for a hook, a subscriber or interceptors)',
        options: {},
      },
    ],
    on: [
      {
        id: 'context-empty-hooks',
        config: '`hooks: {}` (a hooks object with no hook)',
        measures:
          'nothing since core takes a hooks object with no hook as none (no capture); before, the capture alone',
        options: { hooks: {} },
      },
      {
        id: 'context-hook',
        config: 'one hook, `hooks: { onResponse() {} }`',
        measures: 'the capture and the response event built and handed to the hook',
        options: { hooks: { onResponse: countHook } },
        check: (_client, requests) =>
          hookCalls >= requests ? null : `${hookCalls} onResponse calls for ${requests} requests`,
      },
      {
        id: 'context-subscriber',
        config: 'one `mooring:response` diagnostics_channel subscriber',
        measures: 'the capture and the response event built and published',
        setup: subscriber('mooring:response'),
      },
      {
        id: 'context-undici-subscriber',
        config: 'one `undici:request:create` subscriber (where tracing instrumentations listen)',
        measures: 'the capture, and undici publishing its request message',
        setup: subscriber('undici:request:create'),
      },
    ],
  },
  {
    name: 'metrics',
    off: [
      {
        config: '`instrumentMooring({ metrics: false })`, the metrics SDK registered',
        setup: otel({ metrics: false }, { sdk: true }),
      },
      {
        // What an app pays with the instrumentation called and no SDK installed: nothing subscribes.
        id: 'no-sdk',
        config: '`instrumentMooring()` with `@opentelemetry/api` and no SDK (its no-op meter)',
        setup: otel({}, { sdk: false }),
      },
    ],
    on: [
      {
        id: 'metrics',
        config: '`instrumentMooring()`, the metrics SDK’s MeterProvider and a reader',
        measures:
          'recording `http.client.request.duration` per call (the response event, its attributes, the histogram), and the capture its subscriber brings',
        setup: otel({}, { sdk: true }),
      },
    ],
  },
  // Features of earlier rounds, turned off: the same rule holds for them.
  { name: 'retry', off: [{ config: '`retry: false`', options: { retry: false } }], on: [] },
  {
    name: 'redirects',
    off: [{ config: '`followRedirects: false`', options: { followRedirects: false } }],
    on: [],
  },
  {
    name: 'response size limit',
    off: [{ config: '`maxResponseSize: false`', options: { maxResponseSize: false } }],
    on: [],
  },
]

/**
 * The app client with `options`, calling `path`; `setup` runs before the client is made (a
 * subscriber, a global MeterProvider), and its `check`/`close` after the load. `check` returns null
 * when the feature did act on the calls, or what went wrong: a row whose configuration missed its
 * path would measure nothing.
 */
function appClient(name, label, { options = {}, path = PATH, setup, check, group, feature, measures }) {
  return {
    name,
    label,
    group,
    feature,
    measures,
    inflight: [16],
    options,
    async create({ url, connections }) {
      const installed = setup ? await setup() : null
      const { createClient } = await import('@mooring/core')
      const client = createClient({
        baseUrl: url,
        limits: { connections },
        ...options,
      })
      return {
        call: async () => await (await client.get(path)).json(),
        async check(requests) {
          const problems = [await installed?.check?.(requests), await check?.(client, requests, url)].filter(
            Boolean,
          )
          return problems.length > 0 ? problems.join('; ') : null
        },
        async close() {
          await client.close()
          await installed?.close()
        },
      }
    },
  }
}

const slug = (text) => text.replaceAll(' ', '-')

export const FEATURE_VARIANTS = [
  // Twice, each in its own process: the baseline is their mean, and their difference the noise.
  appClient('features-none', 'app client, no feature configured', { group: 'none' }),
  appClient('features-none-again', 'app client, no feature configured, counted again', { group: 'none' }),
  ...FEATURES.flatMap((f) =>
    f.off.map((off) =>
      appClient(
        off.id === undefined ? `off-${slug(f.name)}` : `off-${slug(f.name)}-${off.id}`,
        `${f.name} off: ${off.config}`,
        { ...off, group: 'off', feature: f.name },
      ),
    ),
  ),
  ...FEATURES.flatMap((f) =>
    f.on.map((on) =>
      appClient(`on-${on.id}`, `${f.name}: ${on.config}`, { ...on, group: 'on', feature: f.name }),
    ),
  ),
]

export const VARIANTS = [...CLIENT_VARIANTS, ...PROBE_VARIANTS, ...FEATURE_VARIANTS]
