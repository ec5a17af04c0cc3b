// One mode of observe-cost.mjs, in a process of its own: `requests` GETs, 16 in flight, through one
// client on the built @mooring/core, after a warm-up; prints the CPU and wall time per request.
import { createRequire } from 'node:module'
import { createClient } from '@mooring/core'

const [mode, url, requestsArg] = process.argv.slice(2)
const requests = Number(requestsArg)
const CONCURRENCY = 16
// The OpenTelemetry packages are core's devDependencies: resolve them from there.
const requireFromCore = createRequire(new URL('../../packages/core/package.json', import.meta.url))

let instrumentation
if (mode === 'otel-api' || mode === 'otel-sdk') {
  if (mode === 'otel-sdk') {
    const { metrics } = requireFromCore('@opentelemetry/api')
    const { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } =
      requireFromCore('@opentelemetry/sdk-metrics')
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 60_000,
    })
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))
  }
  // The same copy of the api the subpath loads (both resolve from packages/core).
  const { instrumentMooring } = await import('@mooring/core/otel')
  instrumentation = instrumentMooring()
}

const client = createClient({
  baseUrl: url,
  limits: { connections: CONCURRENCY },
  // `hooks: {}`: no hook to call, but a hooks object, so every call captures its context.
  hooks: mode === 'capture' ? {} : undefined,
})

async function run(count) {
  let next = 0
  async function lane() {
    while (next < count) {
      next++
      const response = await client.get('/')
      await response.text()
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane))
}

await run(Math.min(5_000, requests))
const cpu = process.cpuUsage()
const start = performance.now()
await run(requests)
const wall = performance.now() - start
const used = process.cpuUsage(cpu)
await client.close()
instrumentation?.disable()
process.stdout.write(
  `${JSON.stringify({ mode, cpuUs: (used.user + used.system) / requests, wallUs: (wall * 1000) / requests })}\n`,
)
