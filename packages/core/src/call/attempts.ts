import type { RetryRecord } from '../errors.js'
import { observeChannels } from '../observe/channels.js'
import { retryEvent } from '../observe/call-events.js'
import { observed } from '../observe/instrument.js'
import { errorRetryDelay, errorRetryReason, NO_RETRY, statusRetryDelay } from '../policy/retry-decision.js'
import type { Call } from './call.js'
import { isStaleConnectionError } from './connector.js'
import { awaitRefusalVerdict } from './h2-refusal.js'
import { attemptDelivery, isH2Refusal, isLocalRefusal } from './map-error.js'
import { NO_RETRIES, Phase } from './phase.js'
import { followRedirect } from './redirect-hop.js'

/*
 * What a call does when an attempt does not end in its response: replay on a fresh connection,
 * retry, wait for an HTTP/2 refusal's verdict, or fail. Functions over the Call rather than methods
 * on it, so call.ts stays the undici handler and its lifecycle; they allocate nothing the methods
 * did not, and run only on the failure and retry paths.
 */

/** An attempt failed (undici's error, a dispatch that threw, an abort it answered). */
export function attemptFailed(call: Call, err: unknown): void {
  const phase = call._phase
  if (phase === Phase.Done) return
  // undici refused the request before any connection: no verdict on the origin, no retry.
  const refused = call._abortReason === null && !call._started && isLocalRefusal(err)
  const breaker = call._breaker
  if (breaker !== null && phase === Phase.Head) {
    if (call._abortReason === null && !refused) breaker.failure(call._probe)
    else breaker.abandon(call._probe)
    call._probe = false
  }
  if (call._abortReason !== null) {
    call._fail(call._abortReason)
    return
  }
  if (refused) {
    // The deposit run() made counted a request the origin never saw; not so for a retry or a redirect.
    if (call.attempts === 1 && call._redirectsFollowed === 0) call._budget?.refund(call._startedAt)
    call._fail(err)
    return
  }
  if (phase === Phase.Discard) {
    afterDiscard(call)
    return
  }
  if (phase === Phase.Head) {
    if (call._started && call._refusal === null && isH2Refusal(err)) {
      // Between attempts while undici may still hand the same error to other calls: an abort
      // meanwhile settles the call at once.
      call._refusal = err
      call._phase = Phase.Backoff
      call._controller = null
      call._waitingForConnection = false
      awaitRefusalVerdict(call, err)
      return
    }
    headFailed(call, err)
    return
  }
  call._fail(err)
}

/** undici has handed the refusal to every call it will: retry or fail knowing whose it was. */
export function refusalVerdict(call: Call): void {
  const err = call._refusal
  call._refusal = null
  // Settled meanwhile (aborted, past its deadline): nothing left to decide.
  if (call._phase !== Phase.Backoff || call._timer !== null) return
  call._phase = Phase.Head
  headFailed(call, err)
}

/** The attempt failed before its response: replay, retry or fail the call. */
function headFailed(call: Call, err: unknown): void {
  const retry = call._policy
  const delivery = attemptDelivery(err, call._started)
  // The server closed a reused keep-alive connection as we sent on it: replay once on a fresh
  // one when that is safe, retries on or off (httpx #346, undici "other side closed").
  if (
    !call._staleReplayed &&
    call._started &&
    retry.idempotent &&
    retry.replayable &&
    isStaleConnectionError(err)
  ) {
    call._staleReplayed = true
    if (delivery === 'maybe') call._reached = true
    retryLater(call, 'stale-connection', 0)
    return
  }
  const reason = errorRetryReason(retry, call._retriesUsed, err, delivery)
  if (reason !== null) {
    const delay = errorRetryDelay(retry, call._retriesUsed, call._totalDeadline - performance.now())
    if (delay !== NO_RETRY && withdraw(call, reason)) {
      call._retriesUsed++
      if (delivery === 'maybe') call._reached = true
      retryLater(call, reason, delay)
      return
    }
  }
  call._fail(err)
}

/**
 * Decides on a response head whether its status is retried. When it is, the attempt's body is
 * discarded first (keeping the connection) and the retry is made at its end.
 */
export function retryOnStatus(
  call: Call,
  status: number,
  headers: Record<string, string | string[] | undefined>,
): boolean {
  // Most answers are not retried: that is decided before the clock and the headers are read.
  const retry = call._policy.retry
  if (retry === null || !retry.statuses.has(status)) return false
  const msLeft = call._totalDeadline - performance.now()
  const delay = statusRetryDelay(call._policy, call._retriesUsed, status, headers['retry-after'], msLeft)
  if (delay === NO_RETRY || !withdraw(call, `status:${status}`)) return false
  call._retriesUsed++
  call._nextDelay = delay
  call._nextReason = `status:${status}`
  discardAttempt(call)
  return true
}

/** The attempt reached the server and its answer is not the call's: read its body away first. */
export function discardAttempt(call: Call): void {
  call._reached = true
  call._phase = Phase.Discard
  call._discarded = 0
}

/** Takes a retry from the origin's budget; a refusal is counted and published. */
function withdraw(call: Call, reason: string): boolean {
  const budget = call._budget
  if (budget === null || budget.tryWithdraw()) return true
  call.state.budgetRefusals++
  if (observeChannels.retryRefused.hasSubscribers) {
    const refused = { origin: String(call.options.origin), reason }
    if (call._context === null) observeChannels.retryRefused.publish(refused)
    else
      call._context.runInAsyncScope(
        observeChannels.retryRefused.publish,
        observeChannels.retryRefused,
        refused,
      )
  }
  return false
}

/** The discarded attempt is over: follow the redirect, or make the retry that was decided. */
export function afterDiscard(call: Call): void {
  const next = call._redirectTo
  if (next === null) retryLater(call, call._nextReason, call._nextDelay)
  else followRedirect(call, next)
}

function retryLater(call: Call, reason: string, delay: number): void {
  call._phase = Phase.Backoff
  call._movedOn = call._controller
  call._controller = null
  call._waitingForConnection = false
  const record: RetryRecord = { attempt: call.attempts, reason, delay }
  call.retries = call.retries === NO_RETRIES ? [record] : [...call.retries, record]
  call.state.countRetry(reason)
  if (observed(call._hooks, 'retry')) call._emit('retry', retryEvent(call, reason, delay))
  // Never re-dispatch from inside undici's callback: the next attempt starts on a clean stack.
  call._nextIn(delay)
}
