import diagnosticsChannel from 'node:diagnostics_channel'

/**
 * Channels for what the four call events (instrument.ts) do not carry: published only while
 * someone subscribes (`@mooring/core/otel` does), so a process that does not observe pays one
 * `hasSubscribers` check where each could be published. Payloads hold no header value and no URL.
 */
export const observeChannels = Object.freeze({
  /** `{ client }`: a client was created (once per client), so metrics can read its `stats()`. */
  client: diagnosticsChannel.channel('mooring:client'),
  /** `{ registration }`: a registration was created (once per registration), for its scope counts. */
  registration: diagnosticsChannel.channel('mooring:registration'),
  /** `{ origin, reason }`: the retry budget refused a retry; published in the call's context. */
  retryRefused: diagnosticsChannel.channel('mooring:retry-refused'),
  /** `{ origin, state }`: an origin's circuit breaker changed state (`open`, `half-open`, `closed`). */
  breaker: diagnosticsChannel.channel('mooring:circuit-breaker'),
  /** `{ origin, wait }`: an attempt got its connection after `wait` ms in the pool. */
  poolWait: diagnosticsChannel.channel('mooring:pool-wait'),
} as const)

export interface RetryRefusedMessage {
  origin: string
  /** Why the call wanted to retry (`status:503`, `ECONNRESET`, …). */
  reason: string
}

export interface BreakerMessage {
  origin: string
  state: 'open' | 'half-open' | 'closed'
}

export interface PoolWaitMessage {
  origin: string
  /** Milliseconds from the attempt's dispatch to its connection. */
  wait: number
}
