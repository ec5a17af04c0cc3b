import { trace } from '@opentelemetry/api'
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { instrumentMooring, type MooringInstrumentation } from '@mooring/core/otel'
import { Registration, TimeoutError } from '../../src/index.js'
import * as fixture from '../support/fixtures.js'
import { sleep, startUpstream } from '../support/upstream.js'
import { type MetricsSdk, startMetrics, startTracing, type TracingSdk } from './otel-sdk.js'

let metricsSdk: MetricsSdk
let tracingSdk: TracingSdk
let instrumentation: MooringInstrumentation
beforeEach(() => {
  metricsSdk = startMetrics()
  tracingSdk = startTracing()
  instrumentation = instrumentMooring()
})
afterEach(async () => {
  instrumentation.disable()
  await tracingSdk.shutdown()
  await metricsSdk.shutdown()
})

async function collect(): Promise<Map<string, MetricData>> {
  const { resourceMetrics, errors } = await metricsSdk.reader.collect()
  expect(errors).toEqual([])
  const out = new Map<string, MetricData>()
  for (const scope of resourceMetrics.scopeMetrics) {
    if (scope.scope.name !== '@mooring/core') continue
    for (const metric of scope.metrics) out.set(metric.descriptor.name, metric)
  }
  return out
}

function points(metrics: Map<string, MetricData>, name: string): DataPoint<unknown>[] {
  const metric = metrics.get(name)
  expect(metric, name).toBeDefined()
  return metric!.dataPoints as DataPoint<unknown>[]
}

describe('@mooring/core/otel metrics, read through an in-memory metric reader', () => {
  it('records requests, retries, refusals, breaker changes, pool waits, connections and scopes by their names', async () => {
    let failNext = true
    const upstream = await fixture.upstream(async (req, res) => {
      if (req.url === '/slow') await sleep(150)
      if (req.url === '/broken') res.statusCode = 500
      else if (req.url === '/flaky' && failNext) {
        failNext = false
        res.statusCode = 503
      }
      res.end('ok')
    })
    const port = Number(new URL(upstream.url).port)
    const server = { 'server.address': '127.0.0.1', 'server.port': port }
    // Retried with no budget by a client of its own, closed before the rest.
    const retrying = fixture.client({
      baseUrl: upstream.url,
      retry: { limit: 1, backoff: { base: 1, max: 1 }, budget: false },
    })
    expect((await retrying.get('/flaky')).status).toBe(200) // one retry, status:503
    await retrying.close()
    await upstream.waitForOpen(0)
    // A budget that refuses every retry, a breaker that opens after two failures in a row.
    const registration = new Registration({
      baseUrl: upstream.url,
      retry: { limit: 1, backoff: { base: 1, max: 1 }, budget: { ratio: 0, minPerSecond: 0 } },
      circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: 60_000 },
    })
    try {
      const scope = registration.open({ headers: {} })
      const slow = scope.get('/slow')
      await sleep(50)
      const during = await collect()
      expect(points(during, 'http.client.active_requests').map((p) => [p.attributes, p.value])).toEqual([
        [server, 1],
      ])
      await (await slow).text()
      await (await scope.get('/broken')).text() // 500, its retry refused by the budget; breaker 1 of 2
      await (await scope.get('/broken')).text() // the same, and the breaker opens
      await registration.release(scope)

      const after = await collect()
      const duration = after.get('http.client.request.duration')!
      expect(duration.descriptor.unit).toBe('s')
      const byStatus = (duration.dataPoints as DataPoint<Histogram>[]).map((p) => [
        p.attributes['http.response.status_code'],
        p.value.count,
      ])
      expect(byStatus).toEqual([
        [200, 2],
        [500, 2],
      ])
      for (const p of duration.dataPoints) {
        expect(p.attributes).toMatchObject({ 'http.request.method': 'GET', ...server })
        expect((p.value as Histogram).sum).toBeGreaterThan(0)
      }
      expect(points(after, 'mooring.client.retries').map((p) => [p.attributes, p.value])).toEqual([
        [{ ...server, 'mooring.retry.reason': 'status:503' }, 1],
      ])
      expect(
        points(after, 'mooring.client.retry_budget.refusals').map((p) => [p.attributes, p.value]),
      ).toEqual([[{ ...server, 'mooring.retry.reason': 'status:500' }, 2]])
      expect(
        points(after, 'mooring.client.circuit_breaker.state_changes').map((p) => [p.attributes, p.value]),
      ).toEqual([[{ ...server, 'mooring.circuit_breaker.state': 'open' }, 1]])
      const wait = after.get('mooring.client.pool.wait_time')!
      expect(wait.descriptor.unit).toBe('s')
      expect((wait.dataPoints[0]!.value as Histogram).count).toBe(5) // five attempts got a connection
      // undici's own pool figures, by state: together, the connections open at the upstream.
      const connections = points(after, 'http.client.open_connections')
      expect(connections.map((p) => p.attributes)).toEqual([
        { ...server, 'http.connection.state': 'active' },
        { ...server, 'http.connection.state': 'idle' },
      ])
      expect(connections.reduce((sum, p) => sum + (p.value as number), 0)).toBe(upstream.open)
      expect(upstream.open).toBeGreaterThan(0)
      expect(after.get('http.client.open_connections')!.descriptor.unit).toBe('{connection}')
      expect(points(after, 'http.client.active_requests').map((p) => p.value)).toEqual([0])
      expect(points(after, 'mooring.registration.scopes.opened').map((p) => [p.attributes, p.value])).toEqual(
        [[{ 'mooring.registration.name': 'http' }, 1]],
      )
      expect(points(after, 'mooring.registration.scopes.closed').map((p) => p.value)).toEqual([1])
    } finally {
      await registration.close()
    }
  })

  it('records a failed call with error.type, and puts retry and error events on the caller span', async () => {
    const dead = await startUpstream()
    const deadUrl = dead.url
    await dead.close()
    const hanging = await fixture.hanging()
    const client = fixture.client({ retry: { limit: 1, backoff: { base: 1, max: 1 }, budget: false } })
    const tracer = trace.getTracer('test')
    const inbound = await tracer.startActiveSpan('inbound', async (span) => {
      await client.get(`${deadUrl}/refused`).catch(() => {})
      const timeout = await client
        .get(`${hanging.url}/hang`, { timeout: { headers: 50 } })
        .catch((e: unknown) => e)
      expect(timeout).toBeInstanceOf(TimeoutError)
      span.end()
      return span
    })
    const recorded = tracingSdk.spans().find((s) => s.spanContext().spanId === inbound.spanContext().spanId)!
    const events = recorded.events.map((e) => [e.name, e.attributes])
    expect(events).toEqual([
      [
        'mooring.retry',
        {
          'http.request.resend_count': 1,
          'mooring.retry.reason': 'ECONNREFUSED',
          'mooring.retry.delay_ms': expect.any(Number),
        },
      ],
      [
        'mooring.error',
        { 'error.type': 'MOORING_CONNECTION', 'mooring.attempts': 2, 'mooring.delivery': 'not-sent' },
      ],
      [
        'mooring.error',
        {
          'error.type': 'timeout:headers',
          'mooring.attempts': 1,
          'mooring.timeout.phase': 'headers',
          'mooring.delivery': 'maybe',
        },
      ],
    ])
    const duration = (await collect()).get('http.client.request.duration')!
    expect(duration.dataPoints.map((p) => p.attributes['error.type']).sort()).toEqual([
      'MOORING_CONNECTION',
      'timeout:headers',
    ])
  })
})
