import { undiciRequestCreate } from './context.js'

/**
 * The W3C trace-context and baggage headers. A tracing instrumentation of undici (OpenTelemetry's
 * `instrumentation-undici`, and the like) injects them for the span it starts per attempt; a copy of
 * the inbound value sent as well would reach the upstream as two values joined by a comma, which
 * W3C parsers reject, and would name the inbound caller's span, not ours, as the parent.
 */
export const TRACE_CONTEXT_HEADERS: ReadonlySet<string> = new Set(['traceparent', 'tracestate', 'baggage'])

/**
 * True when an instrumentation listens where undici creates requests, so will inject its own trace
 * context: then `propagate` leaves the trace-context headers to it. Read per inbound request, only by a
 * registration that propagates one of them, so turning tracing on or off needs no restart.
 */
export function traceContextInjected(): boolean {
  return undiciRequestCreate.hasSubscribers
}
