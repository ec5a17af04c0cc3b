import { context, metrics, propagation, trace } from '@opentelemetry/api'
import {
  UndiciInstrumentation,
  type UndiciInstrumentationConfig,
} from '@opentelemetry/instrumentation-undici'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'

/** The real OpenTelemetry Node SDK with an in-memory span exporter, as a user sets it up. */
export interface TracingSdk {
  exporter: InMemorySpanExporter
  instrumentation: UndiciInstrumentation
  provider: NodeTracerProvider
  spans(): ReadableSpan[]
  shutdown(): Promise<void>
}

export function startTracing(config: UndiciInstrumentationConfig = {}): TracingSdk {
  const exporter = new InMemorySpanExporter()
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  // The global tracer provider, the AsyncLocalStorage context manager and the W3C propagator.
  provider.register()
  const instrumentation = new UndiciInstrumentation(config)
  instrumentation.setTracerProvider(provider)
  instrumentation.enable()
  return {
    exporter,
    instrumentation,
    provider,
    spans: () => exporter.getFinishedSpans(),
    async shutdown() {
      instrumentation.disable()
      await provider.shutdown()
      trace.disable()
      context.disable()
      propagation.disable()
    },
  }
}

export interface MetricsSdk {
  provider: MeterProvider
  reader: PeriodicExportingMetricReader
  exporter: InMemoryMetricExporter
  shutdown(): Promise<void>
}

/** A meter provider with an in-memory exporter, registered globally. */
export function startMetrics(): MetricsSdk {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })
  const provider = new MeterProvider({ readers: [reader] })
  metrics.setGlobalMeterProvider(provider)
  return {
    provider,
    reader,
    exporter,
    async shutdown() {
      await provider.shutdown()
      metrics.disable()
    },
  }
}

/** The parent span id of `span` (SDK 2 names it `parentSpanContext`). */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId
}
