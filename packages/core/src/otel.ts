/**
 * `@mooring/core/otel`: OpenTelemetry metrics and span events for Mooring, through
 * `@opentelemetry/api` (an optional peer dependency). A subpath of its own, so the main entry
 * imports no @opentelemetry package and an app that does not import this pays nothing.
 */
export { instrumentMooring, undiciSpanAttributes } from './observe/otel.js'
export type { MooringInstrumentation, MooringInstrumentationOptions } from './observe/otel.js'
