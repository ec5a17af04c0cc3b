import { CircuitOpenError, RateLimitedError } from '../errors.js'
import type { RateLimiter } from '../features/rate-limit.js'
import type { RateLimitDecision } from '../policy/rate-limit-store.js'
import { parseRetryAfter } from '../policy/retry-after.js'
import type { Call } from './call.js'
import { Phase } from './phase.js'

/*
 * The gates an attempt passes before it is dispatched, the client's rate limit
 * (features/rate-limit.ts) and the origin's circuit breaker, and what a response head tells them.
 * Each costs one null check when it is off.
 */

/**
 * Whether the attempt may be dispatched now. False when it must wait for its rate-limit turn (the
 * call is in Backoff until then, and dispatches again) or the call failed: a turn past the deadline
 * is a RateLimitedError at once, not a wait that ends in a timeout; an open circuit a CircuitOpenError.
 */
export function admitted(call: Call, now: number): boolean {
  if (call._limiter !== null && !takeTurn(call, call._limiter, now)) return false
  const breaker = call._breaker
  if (breaker === null) return true
  const verdict = breaker.tryPass()
  if (verdict === 'open') {
    call._fail(new CircuitOpenError(call.info, call._reached ? 'maybe' : 'not-sent'))
    return false
  }
  call._probe = verdict === 'probe'
  return true
}

/** A response head: a 429's Retry-After pauses the rate limit, the status is the breaker's outcome. */
export function headReceived(
  call: Call,
  statusCode: number,
  headers: Record<string, string | string[] | undefined>,
): void {
  if (statusCode === 429 && call._limiter !== null) {
    // The origin said slow down: every caller of this client (and of its store) waits it out.
    const pause = parseRetryAfter(headers['retry-after'])
    if (pause !== undefined) call._limiter.pause(String(call.options.origin), pause)
  }
  const breaker = call._breaker
  if (breaker !== null) {
    if (statusCode >= 500) breaker.failure(call._probe)
    else breaker.success(call._probe)
    call._probe = false
  }
}

function takeTurn(call: Call, limiter: RateLimiter, now: number): boolean {
  if (call._turnGiven) {
    call._turnGiven = false
    return true
  }
  const decision = limiter.take(String(call.options.origin), call._queued, call._totalDeadline - now)
  if (!(decision instanceof Promise)) return onTurn(call, decision, now)
  call._phase = Phase.Backoff
  call._waitingForConnection = false
  decision.then(
    (d) => {
      if (call._phase !== Phase.Backoff) return
      const at = performance.now()
      if (onTurn(call, d, at)) {
        call._turnGiven = true
        call._dispatch(at)
      }
    },
    (err: unknown) => call._fail(err),
  )
  return false
}

function onTurn(call: Call, decision: RateLimitDecision, now: number): boolean {
  if (decision.ok) {
    call._queued = false
    return true
  }
  const wait = decision.retryAfterMs
  if (now + wait >= call._totalDeadline) {
    call._fail(new RateLimitedError(call.info, wait))
    return false
  }
  // The limiter reserved this turn: at its end the call asks the store, ahead of newcomers.
  call._queued = true
  call._phase = Phase.Backoff
  call._waitingForConnection = false
  call._nextIn(wait)
  return false
}
