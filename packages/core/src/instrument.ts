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

/**
 * Observers of every call. A hook that throws, or returns a promise that rejects, is reported as a
 * warning and does not affect the call; a returned promise is not awaited.
 */
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
  const hook = hooks?.[HOOK_OF[name]] as ((e: object) => unknown) | undefined
  if (hook === undefined) return
  let result: unknown
  try {
    result = hook(event)
  } catch (err) {
    warnHookFailed(HOOK_OF[name], err)
    return
  }
  // An async hook: its rejection would otherwise be unhandled and end the process. A hook that
  // returns nothing (the common case) costs this one check, no promise.
  if (
    result !== undefined &&
    result !== null &&
    typeof (result as PromiseLike<unknown>).then === 'function'
  ) {
    watchHookResult(result as PromiseLike<unknown>, HOOK_OF[name])
  }
}

type HookName = (typeof HOOK_OF)[EventName]

/** Handlers per hook, made once, so an async hook's promise costs no closure of ours. */
const ON_REJECTED: Record<HookName, (err: unknown) => void> = {
  onRequest: (err) => warnHookFailed('onRequest', err),
  onResponse: (err) => warnHookFailed('onResponse', err),
  onRetry: (err) => warnHookFailed('onRetry', err),
  onError: (err) => warnHookFailed('onError', err),
}

function watchHookResult(result: PromiseLike<unknown>, hook: HookName): void {
  try {
    // A thenable's own `then` may throw: that too stays out of the call.
    result.then(undefined, ON_REJECTED[hook])
  } catch (err) {
    warnHookFailed(hook, err)
  }
}

function warnHookFailed(hook: HookName, err: unknown): void {
  let message: string
  try {
    message = String((err as Error)?.message ?? err)
  } catch {
    message = 'an error with no string form'
  }
  process.emitWarning(`a Mooring ${hook} hook threw: ${message}`, { type: 'MooringHookWarning' })
}
