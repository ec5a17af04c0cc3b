import type { CallPolicy } from '../config/plan.js'
import { TimeoutError } from '../errors.js'
import { errorCode, wasNotSent } from './error-kind.js'
import { backoffDelay } from './retry.js'
import { parseRetryAfter } from './retry-after.js'

/** No retry. */
export const NO_RETRY = -1

/**
 * The reason to retry after `err`, or null when the policy does not retry it. Pure: what the call
 * knows (`retriesUsed`, whether the request reached a connection) is passed in.
 */
export function errorRetryReason(
  call: CallPolicy,
  retriesUsed: number,
  err: unknown,
  started: boolean,
): string | null {
  const { retry: policy, idempotent, replayable } = call
  if (policy === null || !replayable || retriesUsed >= policy.limit) return null
  // Any method may be retried when nothing of it was sent (a refused connection, a failed
  // handshake): that is no blind retry of a write.
  if (
    !idempotent &&
    !(err instanceof TimeoutError ? err.delivery === 'not-sent' : wasNotSent(err, started))
  ) {
    return null
  }
  if (err instanceof TimeoutError) return policy.timeouts.has(err.phase) ? `timeout:${err.phase}` : null
  const code = errorCode(err)
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return policy.timeouts.has('connect') ? 'timeout:connect' : null
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return policy.timeouts.has('headers') ? 'timeout:headers' : null
  if (policy.errorCodes.has(code)) return code
  return null
}

/**
 * The wait before retrying a response of `status`, or NO_RETRY: not a retried status, not safe to
 * send again, out of retries, or told by `Retry-After` to wait longer than `maxRetryAfter` or than
 * the `msLeft` before the deadline. The budget is the caller's to ask, last.
 */
export function statusRetryDelay(
  call: CallPolicy,
  retriesUsed: number,
  status: number,
  retryAfterHeader: string | string[] | undefined,
  msLeft: number,
): number {
  const { retry: policy, idempotent, replayable } = call
  if (policy === null || !policy.statuses.has(status)) return NO_RETRY
  if (!idempotent || !replayable || retriesUsed >= policy.limit) return NO_RETRY
  let delay: number
  const retryAfter = status === 429 || status === 503 ? parseRetryAfter(retryAfterHeader) : undefined
  if (retryAfter !== undefined) {
    // Told to wait longer than we would, or than the deadline allows: no wait, no retry.
    if (retryAfter > policy.maxRetryAfter) return NO_RETRY
    delay = retryAfter
  } else delay = backoffDelay(policy, retriesUsed + 1)
  return delay >= msLeft ? NO_RETRY : delay
}

/** The wait before retrying after an error whose reason is retried, or NO_RETRY past the deadline. */
export function errorRetryDelay(call: CallPolicy, retriesUsed: number, msLeft: number): number {
  const delay = backoffDelay(call.retry!, retriesUsed + 1)
  return delay >= msLeft ? NO_RETRY : delay
}
