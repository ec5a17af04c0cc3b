import { TimeoutError } from '../errors.js'
import type { Call } from './call.js'
import { Phase } from './phase.js'

/**
 * One sweeper tick for a call (deadlines.ts): the pool wait, the total deadline, and the headers
 * and body-idle timeouts, each ended with its TimeoutError.
 */
export function checkCallDeadlines(call: Call, now: number): void {
  const timeouts = call._timeouts
  if (call._waitingForConnection && now >= call._poolDeadline) {
    call.abort(new TimeoutError('pool', timeouts.pool, call.info, call._reached ? 'maybe' : 'not-sent'))
    return
  }
  if (now >= call._totalDeadline) {
    // Past the deadline with an abort already asked for: undici never answered it (it answers at
    // once as a rule). Settle without it, so no call outlives its deadline by more than a tick.
    if (call._abortReason !== null) {
      call._fail(call._abortReason)
      return
    }
    // The scope's deadline may end the call before timeout.total: report the budget it really had.
    const budget = Math.round(call._totalDeadline - call._startedAt)
    const delivery = call._started || call._reached ? 'maybe' : 'not-sent'
    call.abort(new TimeoutError('total', budget, call.info, delivery))
    return
  }
  // Headers and body-idle timeouts, to the tick: undici's own timers for these run on a coarse
  // clock (up to a second late) and stay as a backstop. Progress is counted, not timed, so a call
  // reads no clock per chunk; the first tick that sees no progress starts the wait.
  const controller = call._controller
  if (controller === null) return
  if (call._progress !== call._seenProgress) {
    call._seenProgress = call._progress
    call._progressAt = now
    return
  }
  const idle = now - call._progressAt
  if (call._phase === Phase.Head) {
    if (idle >= timeouts.headers)
      controller.abort(new TimeoutError('headers', timeouts.headers, call.info, 'maybe'))
  } else if (!controller.paused && idle >= timeouts.body) {
    // A connection paused because nobody reads the body is not the server stalling.
    controller.abort(new TimeoutError('body', timeouts.body, call.info, 'maybe'))
  }
}
