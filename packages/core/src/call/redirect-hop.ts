import type { Dispatcher } from 'undici'
import { TooManyRedirectsError } from '../errors.js'
import { redirectTarget } from '../policy/redirect.js'
import type { Call } from './call.js'
import { discardAttempt } from './attempts.js'
import { Phase } from './phase.js'

/*
 * A call following redirects itself, hop by hop on the same Call: the target and what it may carry
 * are decided by policy/redirect.ts; here, when the hop is taken. Redirect hops are not attempts
 * (no retry budget, no attempt count) but the call's context, deadline and delivery go along.
 */

/**
 * A 3xx head with a `location`: true when the call has dealt with it (it will follow it once the
 * body is discarded, or it failed with TooManyRedirectsError); false when it is the call's answer.
 */
export function redirectHop(call: Call, statusCode: number, location: string | string[]): boolean {
  const max = call._policy.maxRedirects
  if (call._redirectsFollowed >= max) {
    call.abort(new TooManyRedirectsError(call.info, max))
    return true
  }
  const next = redirectTarget(
    call.options,
    statusCode,
    location,
    call.plan.redirectHeaders,
    call._policy.replayable,
  )
  if (next === null) return false
  call._redirectTo = next
  discardAttempt(call)
  return true
}

/** The redirect's body is read away: dispatch to its target on a clean stack. */
export function followRedirect(call: Call, next: Dispatcher.DispatchOptions): void {
  call._redirectTo = null
  call._redirectsFollowed++
  call.options = next
  // Another origin, perhaps: the hop goes through the client's dispatcher, which routes by origin.
  call._target = call.dispatcher
  call._countAttempt = false
  call._phase = Phase.Backoff
  call._movedOn = call._controller
  call._controller = null
  call._nextIn(0)
}
