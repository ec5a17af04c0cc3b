import type { MooringError, MooringRequestInfo, RetryRecord } from '../errors.js'
import { emit, type Hooks } from './instrument.js'

/** What the events of a call read from it; `info` is built (the URL redacted) only when someone listens. */
interface CallFacts {
  readonly info: MooringRequestInfo
  readonly attempts: number
  readonly retries: readonly RetryRecord[]
}

/** The response head arrived. Call only when `observed(hooks, 'response')`. */
export function emitResponse(hooks: Hooks | null, call: CallFacts, status: number, startedAt: number): void {
  const { attempts, retries } = call
  emit(hooks, 'response', {
    ...call.info,
    status,
    attempts,
    retries,
    duration: performance.now() - startedAt,
  })
}

/** An attempt failed and another is coming after `delay` ms. */
export function emitRetry(hooks: Hooks | null, call: CallFacts, reason: string, delay: number): void {
  emit(hooks, 'retry', { ...call.info, attempt: call.attempts, reason, delay })
}

/** The call failed. */
export function emitError(
  hooks: Hooks | null,
  call: CallFacts,
  error: MooringError,
  startedAt: number,
): void {
  const { attempts, retries } = call
  emit(hooks, 'error', { ...call.info, error, attempts, retries, duration: performance.now() - startedAt })
}
