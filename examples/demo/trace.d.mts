// Types of trace.mjs (plain JavaScript, so `node demo.mjs --trace` runs without a build).
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'

/** Runs one search through an app whose upstream fails once, under the OpenTelemetry SDK; its finished spans. */
export function traceOneSearch(): Promise<ReadableSpan[]>
/** The spans as a tree, one line each, with Mooring's retry and error events among the children. */
export function formatTrace(spans: readonly ReadableSpan[]): string
export function main(): Promise<void>
