import diagnosticsChannel from 'node:diagnostics_channel'
import type { MooringError, RetryRecord } from '../errors.js'

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

/** One observer of an event. */
export type HookFunction<E> = (event: E) => unknown

/** One observer, or several, each called in turn with the same event. */
export type HookInput<E> = HookFunction<E> | readonly HookFunction<E>[]

/**
 * Observers of every call; each may be an array (a tracer and a logger both hook in). A hook that
 * throws, or returns a promise that rejects, is reported as a warning and does not affect the call
 * nor the other hooks; a returned promise is not awaited. To change a request, use `middleware`.
 */
export interface Hooks {
  onRequest?: HookInput<RequestEvent>
  onResponse?: HookInput<ResponseEvent>
  onRetry?: HookInput<RetryEvent>
  onError?: HookInput<ErrorEvent>
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
  // Normalized: one function per hook (an array became one that calls each, made once).
  const hook = hooks?.[HOOK_OF[name]] as HookFunction<object> | undefined
  if (hook !== undefined) callHook(HOOK_OF[name], hook, event)
}

function callHook(name: HookName, hook: HookFunction<object>, event: object): void {
  let result: unknown
  try {
    result = hook(event)
  } catch (err) {
    warnHookFailed(name, err)
    return
  }
  // An async hook: its rejection would otherwise be unhandled and end the process. A hook that
  // returns nothing (the common case) costs this one check, no promise.
  if (
    result !== undefined &&
    result !== null &&
    typeof (result as PromiseLike<unknown>).then === 'function'
  ) {
    watchHookResult(result as PromiseLike<unknown>, name)
  }
}

/** One function calling each of `hooks` in turn, each failing alone; made once, at client creation. */
export function fanOut(name: HookName, hooks: readonly HookFunction<object>[]): HookFunction<object> {
  const list = [...hooks]
  return (event) => {
    for (const hook of list) callHook(name, hook, event)
  }
}

export type HookName = (typeof HOOK_OF)[EventName]

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
