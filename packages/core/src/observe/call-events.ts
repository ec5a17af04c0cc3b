import type { MooringError, MooringRequestInfo, RetryRecord } from '../errors.js'
import type { ErrorEvent, ResponseEvent, RetryEvent } from './instrument.js'

/**
 * The payloads of a call's events, built only when someone listens (`observed(hooks, name)`); the
 * call emits them in its caller's async context. `info` redacts the URL, so it is read here, not
 * per call.
 */
interface CallFacts {
  readonly info: MooringRequestInfo
  readonly attempts: number
  readonly retries: readonly RetryRecord[]
}

/** The response head arrived. */
export function responseEvent(call: CallFacts, status: number, startedAt: number): ResponseEvent {
  const { attempts, retries } = call
  return { ...call.info, status, attempts, retries, duration: performance.now() - startedAt }
}

/** An attempt failed and another is coming after `delay` ms. */
export function retryEvent(call: CallFacts, reason: string, delay: number): RetryEvent {
  return { ...call.info, attempt: call.attempts, reason, delay }
}

/** The call failed. */
export function errorEvent(call: CallFacts, error: MooringError, startedAt: number): ErrorEvent {
  const { attempts, retries } = call
  return { ...call.info, error, attempts, retries, duration: performance.now() - startedAt }
}
