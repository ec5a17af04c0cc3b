import diagnosticsChannel from 'node:diagnostics_channel'
import type { MooringError, RetryRecord } from './errors.js'

/** A call about to be sent (once per call, not per attempt). */
export interface RequestEvent {
  method: string
  /** Redacted: no credentials, no secret-looking query values. */
  url: string
}

export interface ResponseEvent extends RequestEvent {
  status: number
  attempts: number
  retries: readonly RetryRecord[]
  /** Milliseconds from the call's start to the response head. */
  duration: number
}

export interface RetryEvent extends RequestEvent {
  /** The attempt that failed (1-based). */
  attempt: number
  reason: string
  /** Milliseconds waited before the next attempt. */
  delay: number
}

export interface ErrorEvent extends RequestEvent {
  error: MooringError
  attempts: number
  retries: readonly RetryRecord[]
  duration: number
}

/** Observers of every call; a hook that throws is reported as a warning and does not affect the call. */
export interface Hooks {
  onRequest?(event: RequestEvent): void
  onResponse?(event: ResponseEvent): void
  onRetry?(event: RetryEvent): void
  onError?(event: ErrorEvent): void
}

/**
 * The same events on `node:diagnostics_channel`, so APM tools subscribe without code changes.
 * Payloads are the hook events above: redacted URLs, never a header value.
 */
export const channels = Object.freeze({
  request: diagnosticsChannel.channel('mooring:request'),
  response: diagnosticsChannel.channel('mooring:response'),
  retry: diagnosticsChannel.channel('mooring:retry'),
  error: diagnosticsChannel.channel('mooring:error'),
} as const)

export type EventName = keyof typeof channels

const HOOK_OF = { request: 'onRequest', response: 'onResponse', retry: 'onRetry', error: 'onError' } as const

/** True when anyone listens for `name`; checked before an event is built, so unobserved calls pay nothing. */
export function observed(hooks: Hooks | null, name: EventName): boolean {
  return channels[name].hasSubscribers || (hooks !== null && hooks[HOOK_OF[name]] !== undefined)
}

export function emit(hooks: Hooks | null, name: EventName, event: object): void {
  const channel = channels[name]
  if (channel.hasSubscribers) channel.publish(event)
  const hook = hooks?.[HOOK_OF[name]] as ((e: object) => void) | undefined
  if (hook === undefined) return
  try {
    hook(event)
  } catch (err) {
    process.emitWarning(`a Mooring ${HOOK_OF[name]} hook threw: ${(err as Error)?.message ?? err}`, {
      type: 'MooringHookWarning',
    })
  }
}
