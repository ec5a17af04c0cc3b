import diagnosticsChannel from 'node:diagnostics_channel'
import {
  type Attributes,
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  type ObservableResult,
  ProxyTracerProvider,
  trace,
  ValueType,
} from '@opentelemetry/api'
import type { MooringClient } from '../client/client.js'
import type { ErrorEvent, ResponseEvent, RetryEvent } from './instrument.js'
import type { Registration } from '../client/registration.js'
import type { BreakerMessage, PoolWaitMessage, RetryRefusedMessage } from './channels.js'
import { currentResendCount } from './context.js'

/** Options of `instrumentMooring()`. */
export interface MooringInstrumentationOptions {
  /** Where the instruments are made. Default: the global meter provider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider
  /** Add Mooring's events (retries, refusals, errors) to the caller's active span. Default true. */
  tracing?: boolean
  /** Record Mooring's metrics. Default true. */
  metrics?: boolean
}

/** What `instrumentMooring()` returns: what it found on, and how to stop it. */
export interface MooringInstrumentation {
  /** True when a meter provider was registered (or given): Mooring's instruments record. */
  readonly metrics: boolean
  /** True when a tracer provider was registered: Mooring adds its events to the caller's span. */
  readonly tracing: boolean
  /** Reads `client.stats()` for the connection and request gauges (clients created after `instrumentMooring()` are found by themselves). */
  observe(client: MooringClient): void
  /** Reads `registration.stats()` for the scope counters (registrations created after are found by themselves). */
  observeRegistration(registration: Registration): void
  /** Unsubscribes from every channel; the instruments stop recording. */
  disable(): void
}

const SCOPE = '@mooring/core'
/** OpenTelemetry's advice for `http.client.request.duration`, in seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

/** A type, not an interface: it must be assignable to the API's `Attributes`. */
type ServerAttributes = {
  'server.address': string
  'server.port': number
}

/** `server.address` and `server.port` of an origin, parsed once per origin. */
const serverOf = new Map<string, ServerAttributes>()
function server(origin: string): ServerAttributes {
  let attributes = serverOf.get(origin)
  if (attributes === undefined) {
    const url = new URL(origin)
    attributes = {
      'server.address': url.hostname.replace(/^\[|\]$/g, ''),
      'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    }
    serverOf.set(origin, attributes)
  }
  return attributes
}

/** The origin at the head of a (redacted) URL from a Mooring event. */
function originOf(url: string): string {
  const slash = url.indexOf('/', url.indexOf('//') + 2)
  return slash === -1 ? url : url.slice(0, slash)
}

/** `error.type`: a low-cardinality name of what went wrong (OpenTelemetry's semantic conventions). */
function errorType(error: { code?: string; name?: string; phase?: string }): string {
  if (error.code === 'MOORING_TIMEOUT' && error.phase !== undefined) return `timeout:${error.phase}`
  return error.code ?? error.name ?? '_OTHER'
}

/**
 * Turns Mooring's diagnostics channels into OpenTelemetry metrics and span events, through
 * `@opentelemetry/api` only: with no SDK installed every instrument is the API's no-op. Nothing is
 * patched; it subscribes to the `mooring:*` channels, so an app that never calls this pays nothing,
 * and one that does pays for what it records.
 *
 * Span events go on the caller's active span, the parent of every attempt span that an undici
 * instrumentation starts: one place per logical call tells why there were several attempts. Mooring
 * starts no span of its own, so the attempts stay direct children of the caller's span.
 */
export function instrumentMooring(options: MooringInstrumentationOptions = {}): MooringInstrumentation {
  const meter: Meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE)
  // With no SDK behind the API, nothing is subscribed: calls capture no context and build no event.
  const withTracing = options.tracing !== false && tracerProviderRegistered()
  const withMetrics = options.metrics !== false && !isNoopMeter(meter)
  const subscriptions: Array<[string, (message: unknown) => void]> = []
  const on = <T>(name: string, handler: (message: T) => void): void => {
    const listener = handler as (message: unknown) => void
    diagnosticsChannel.subscribe(name, listener)
    subscriptions.push([name, listener])
  }
  const clients = new Set<WeakRef<MooringClient>>()
  const registrations = new Set<WeakRef<Registration>>()

  let duration: Histogram | null = null
  let retries: Counter | null = null
  let refusals: Counter | null = null
  let breakerChanges: Counter | null = null
  let poolWait: Histogram | null = null
  if (withMetrics) {
    duration = meter.createHistogram('http.client.request.duration', {
      description:
        'Duration of HTTP client requests: a Mooring call, every attempt included, to its response head.',
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    })
    retries = meter.createCounter('mooring.client.retries', {
      description: 'Attempts made again, by reason (status:503, ECONNRESET, stale-connection, …).',
      unit: '{retry}',
    })
    refusals = meter.createCounter('mooring.client.retry_budget.refusals', {
      description: 'Retries the retry budget refused.',
      unit: '{retry}',
    })
    breakerChanges = meter.createCounter('mooring.client.circuit_breaker.state_changes', {
      description: 'Circuit breaker state changes, by the state entered.',
      unit: '{change}',
    })
    poolWait = meter.createHistogram('mooring.client.pool.wait_time', {
      description: 'Time an attempt waited for a connection from the pool (connecting included).',
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    })
    const openConnections = meter.createObservableUpDownCounter('http.client.open_connections', {
      description: 'Connections of Mooring pools, active or idle.',
      unit: '{connection}',
    })
    const activeRequests = meter.createObservableUpDownCounter('http.client.active_requests', {
      description: 'Mooring calls in flight (attempts, backoff and body included).',
      unit: '{request}',
    })
    openConnections.addCallback((result) => eachOrigin(clients, result, 'connections'))
    activeRequests.addCallback((result) => eachOrigin(clients, result, 'requests'))
    const opened = meter.createObservableCounter('mooring.registration.scopes.opened', {
      description: 'Request scopes opened by a framework registration.',
      unit: '{scope}',
    })
    const closed = meter.createObservableCounter('mooring.registration.scopes.closed', {
      description: 'Request scopes closed (released at their request’s end, or by the app).',
      unit: '{scope}',
    })
    opened.addCallback((result) => eachRegistration(registrations, result, 'scopesOpened'))
    closed.addCallback((result) => eachRegistration(registrations, result, 'scopesClosed'))
    on<{ client: MooringClient }>('mooring:client', ({ client }) => clients.add(new WeakRef(client)))
    on<{ registration: Registration }>('mooring:registration', ({ registration }) =>
      registrations.add(new WeakRef(registration)),
    )
    on<BreakerMessage>('mooring:circuit-breaker', (m) =>
      breakerChanges?.add(1, { ...server(m.origin), 'mooring.circuit_breaker.state': m.state }),
    )
    on<PoolWaitMessage>('mooring:pool-wait', (m) => poolWait?.record(m.wait / 1000, server(m.origin)))
  }

  if (withMetrics)
    on<ResponseEvent>('mooring:response', (e) => {
      duration?.record(e.duration / 1000, {
        'http.request.method': e.method,
        ...server(originOf(e.url)),
        'http.response.status_code': e.status,
      })
    })
  if (withMetrics || withTracing)
    on<RetryEvent>('mooring:retry', (e) => {
      retries?.add(1, { ...server(originOf(e.url)), 'mooring.retry.reason': e.reason })
      if (withTracing) {
        trace.getActiveSpan()?.addEvent('mooring.retry', {
          'http.request.resend_count': e.attempt,
          'mooring.retry.reason': e.reason,
          'mooring.retry.delay_ms': Math.round(e.delay),
        })
      }
    })
  if (withMetrics || withTracing)
    on<RetryRefusedMessage>('mooring:retry-refused', (m) => {
      refusals?.add(1, { ...server(m.origin), 'mooring.retry.reason': m.reason })
      if (withTracing)
        trace.getActiveSpan()?.addEvent('mooring.retry_budget.refused', { 'mooring.retry.reason': m.reason })
    })
  if (withMetrics || withTracing)
    on<ErrorEvent>('mooring:error', (e) => {
      const error = e.error as ErrorEvent['error'] & { phase?: string; delivery?: string }
      const type = errorType(error)
      if (e.attempts > 0) {
        duration?.record(e.duration / 1000, {
          'http.request.method': e.method,
          ...server(originOf(e.url)),
          'error.type': type,
        })
      }
      if (!withTracing) return
      const attributes: Attributes = { 'error.type': type, 'mooring.attempts': e.attempts }
      if (error.phase !== undefined) attributes['mooring.timeout.phase'] = error.phase
      if (error.delivery !== undefined) attributes['mooring.delivery'] = error.delivery
      if (error.code === 'MOORING_CIRCUIT_OPEN') attributes['mooring.circuit_breaker.state'] = 'open'
      trace.getActiveSpan()?.addEvent('mooring.error', attributes)
    })

  return {
    metrics: withMetrics,
    tracing: withTracing,
    observe(client) {
      clients.add(new WeakRef(client))
    },
    observeRegistration(registration) {
      registrations.add(new WeakRef(registration))
    },
    disable() {
      for (const [name, listener] of subscriptions.splice(0)) diagnosticsChannel.unsubscribe(name, listener)
      clients.clear()
      registrations.clear()
    },
  }
}

/** True when the meter is the API's no-op one: no meter provider registered. */
function isNoopMeter(meter: Meter): boolean {
  return meter.constructor === createNoopMeter().constructor
}

/** True when an SDK's tracer provider is registered behind the API's proxy. */
function tracerProviderRegistered(): boolean {
  const provider = trace.getTracerProvider()
  if (!(provider instanceof ProxyTracerProvider)) return true
  return provider.getDelegate().constructor !== new ProxyTracerProvider().getDelegate().constructor
}

const NO_ATTRIBUTES: Attributes = Object.freeze({})

/**
 * For `new UndiciInstrumentation({ startSpanHook: undiciSpanAttributes })`: puts
 * `http.request.resend_count` on the span of a Mooring attempt that is a retry, a replay or a
 * redirect hop (OpenTelemetry's HTTP client conventions set it there, from 1). undici calls the
 * hook while Mooring dispatches the attempt, so it reads the count Mooring set for it.
 */
export function undiciSpanAttributes(): Attributes {
  const resendCount = currentResendCount()
  return resendCount === undefined || resendCount === 0
    ? NO_ATTRIBUTES
    : { 'http.request.resend_count': resendCount }
}

function eachOrigin(
  clients: Set<WeakRef<MooringClient>>,
  result: ObservableResult,
  what: 'connections' | 'requests',
): void {
  for (const ref of clients) {
    const client = ref.deref()
    if (client === undefined || client.closed) {
      clients.delete(ref)
      continue
    }
    const { origins } = client.stats()
    for (const origin of Object.keys(origins)) {
      const stats = origins[origin]!
      if (what === 'requests') {
        result.observe(stats.inFlight, server(origin))
      } else if (stats.open !== undefined) {
        result.observe(stats.busy ?? 0, { ...server(origin), 'http.connection.state': 'active' })
        result.observe(stats.idle ?? 0, { ...server(origin), 'http.connection.state': 'idle' })
      }
    }
  }
}

function eachRegistration(
  registrations: Set<WeakRef<Registration>>,
  result: ObservableResult,
  what: 'scopesOpened' | 'scopesClosed',
): void {
  for (const ref of registrations) {
    const registration = ref.deref()
    if (registration === undefined) {
      registrations.delete(ref)
      continue
    }
    result.observe(registration.stats()[what], { 'mooring.registration.name': registration.name })
  }
}
