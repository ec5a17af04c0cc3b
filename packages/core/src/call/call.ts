import type { Dispatcher } from 'undici'
import type { NormalizedTimeouts } from '../config/options.js'
import type { CallPolicy, RequestPlan } from '../config/plan.js'
import {
  AbortError,
  HttpStatusError,
  type MooringError,
  type MooringRequestInfo,
  RequestRejectedError,
  ResponseTooLargeError,
  type RetryRecord,
} from '../errors.js'
import type { RateLimiter } from '../features/rate-limit.js'
import { errorEvent, responseEvent } from '../observe/call-events.js'
import { observeChannels } from '../observe/channels.js'
import { type CallContext, captureContext, dispatchInContext } from '../observe/context.js'
import { emit, type EventName, type Hooks, observed } from '../observe/instrument.js'
import { redactUrl } from '../observe/redact.js'
import type { OriginState } from '../observe/stats.js'
import type { CircuitBreaker } from '../policy/breaker.js'
import type { RetryBudget } from '../policy/budget.js'
import { afterDiscard, attemptFailed, refusalVerdict, retryOnStatus } from './attempts.js'
import { checkCallDeadlines } from './deadline-check.js'
import { type DeadlineHolder, deadlines } from './deadlines.js'
import type { RefusalWaiter } from './h2-refusal.js'
import { mapError } from './map-error.js'
import { DISCARD_LIMIT, NO_RETRIES, Outcome, Phase } from './phase.js'
import { admitted, headReceived } from './admission.js'
import { redirectHop } from './redirect-hop.js'
import { type DecodedBodyReceiver, startDecoding } from '../features/decompress.js'
import { isClosed } from '../client/dispatcher.js'
import { MooringResponse } from './response.js'

type Controller = Dispatcher.DispatchController

/** The timer callback of `_nextIn`: one function for every call, the call passed as its argument. */
function nextAttempt(call: Call): void {
  call._next()
}

/**
 * The executor of every call's promise: a module function that hands the resolvers over in these
 * two slots, rather than a closure made per call.
 */
let madeResolve: ((response: MooringResponse) => void) | null = null
let madeReject: ((reason: unknown) => void) | null = null
function keepResolvers(
  resolve: (response: MooringResponse) => void,
  reject: (reason: unknown) => void,
): void {
  madeResolve = resolve
  madeReject = reject
}

export { Outcome } from './phase.js'

/** What a call needs from the client or scope that made it. */
export interface CallOwner {
  /** @internal */
  _callSettled(call: Call, outcome: Outcome): void
}

/**
 * One logical request: the undici dispatch handler (new handler API), its deadlines, its retries and
 * its abort handle in one object, so a call allocates no AbortController, no closure per phase and
 * no stream. It is its own `abort` event listener (`handleEvent`), so a caller's signal costs no
 * closure either. Attempts reuse the object: a callback from an attempt the call has moved on from
 * is told apart by its controller.
 */
export class Call implements Dispatcher.DispatchHandler, DeadlineHolder, RefusalWaiter, DecodedBodyReceiver {
  /** @internal Links in the deadline sweeper's list and in the owner's list of calls (no Sets: see deadlines.ts). */
  _sweepPrev: DeadlineHolder | null = null
  _sweepNext: DeadlineHolder | null = null
  _swept = false
  _ownerPrev: Call | null = null
  _ownerNext: Call | null = null
  _owned = false
  readonly owner: CallOwner
  /** The client's dispatcher: what a redirect to another origin goes through. */
  readonly dispatcher: Dispatcher
  /** Where the current attempt is dispatched: the origin's pool when known (client/dispatcher.ts `routeTo`), else `dispatcher`. */
  _target: Dispatcher
  /** What the call sends and how it behaves, planned before it started; never written to. */
  readonly plan: RequestPlan
  /** The dispatch options of the current attempt: the plan, or a redirect's target. */
  options: Dispatcher.DispatchOptions
  /** The origin's counters, retry budget and breaker. */
  readonly state: OriginState
  attempts = 0
  retries: RetryRecord[] = NO_RETRIES
  // The `_` members are the call's state as its sibling modules read and change it: attempts.ts
  // (retry, replay, refusal), redirect-hop.ts, admission.ts, deadline-check.ts. The `#` ones
  // only this file touches: how the caller's promise settles.
  readonly _policy: CallPolicy
  readonly _budget: RetryBudget | null
  readonly _breaker: CircuitBreaker | null
  readonly _timeouts: NormalizedTimeouts
  readonly _hooks: Hooks | null
  /** The client's rate limit, when it has one. */
  readonly _limiter: RateLimiter | null
  readonly _totalDeadline: number
  readonly #signal: AbortSignal | undefined
  _phase = Phase.Head
  _startedAt = 0
  _poolDeadline = 0
  _waitingForConnection = false
  _controller: Controller | null = null
  /** The controller of the attempt the call last moved on from (a retry, a redirect). */
  _movedOn: Controller | null = null
  _started = false
  /**
   * An attempt this call moved on from may have reached the server (it failed `maybe`, or had a
   * response that was retried or redirected). The call's delivery is the worst of its attempts':
   * a later attempt refused (ECONNREFUSED) does not make the call `not-sent`.
   */
  _reached = false
  /** An HTTP/2 refusal this attempt failed with, held until undici's fan-out is over (h2-refusal.ts). */
  _refusal: unknown = null
  _abortReason: MooringError | null = null
  _retriesUsed = 0
  _staleReplayed = false
  _discarded = 0
  /** The retry decided on a response head, made once its body is discarded. */
  _nextDelay = 0
  _nextReason = ''
  _timer: NodeJS.Timeout | null = null
  /** Bumped at each sign of life (connection, head, chunk); the sweeper times the gaps. */
  _progress = 0
  _seenProgress = 0
  _progressAt = 0
  /** This attempt is the half-open circuit's probe. */
  _probe = false
  /** The caller's async context, when something can read it (observe/context.ts). */
  _context: CallContext | null = null
  _redirectsFollowed = 0
  _redirectTo: Dispatcher.DispatchOptions | null = null
  _countAttempt = true
  /** The rate limit's answer came asynchronously and admitted the attempt about to be dispatched. */
  _turnGiven = false
  /** The decoder of this attempt's encoded body (features/decompress.ts); null when it came as is. */
  _decoder: Dispatcher.DispatchHandler | null = null
  /** Waiting for a turn the rate limit reserved. */
  _queued = false
  #settled = false
  #response: MooringResponse | null = null
  #resolve: ((response: MooringResponse) => void) | null = null
  #reject: ((reason: unknown) => void) | null = null
  #received = 0

  constructor(
    owner: CallOwner,
    dispatcher: Dispatcher,
    target: Dispatcher,
    plan: RequestPlan,
    state: OriginState,
  ) {
    this.owner = owner
    this.dispatcher = dispatcher
    this._target = target
    this.plan = plan
    this.options = plan
    const policy = plan.policy
    this._policy = policy
    this.state = state
    this._budget = policy.budgeted ? state.budget : null
    this._breaker = state.breaker
    this._timeouts = policy.timeouts
    this.#signal = plan.callSignal
    this._hooks = policy.hooks
    this._limiter = policy.rateLimit
    this._totalDeadline = plan.deadline
  }

  get info(): MooringRequestInfo {
    return {
      method: this.options.method,
      url: redactUrl(String(this.options.origin) + this.options.path, this._policy.shownQuery),
    }
  }

  /** Starts the call; the promise settles with the response head or a typed error. */
  run(now: number): Promise<MooringResponse> {
    const promise = new Promise<MooringResponse>(keepResolvers)
    this.#resolve = madeResolve
    this.#reject = madeReject
    madeResolve = madeReject = null
    this._startedAt = now
    if (this.#signal !== undefined) this.#signal.addEventListener('abort', this)
    this._budget?.deposit(now)
    this._context = captureContext(this._hooks, this.dispatcher)
    if (observed(this._hooks, 'request')) emit(this._hooks, 'request', this.info)
    deadlines.add(this)
    this._dispatch(now)
    return promise
  }

  _dispatch(now: number): void {
    if ((this._limiter !== null || this._breaker !== null) && !admitted(this, now)) return
    if (this._countAttempt) this.attempts++
    this._countAttempt = true
    this._phase = Phase.Head
    this._controller = null
    this._started = false
    this._waitingForConnection = true
    this._poolDeadline = now + this._timeouts.pool
    // The Agent closes an origin's pool once all its connections are gone (a stale one replayed,
    // say) and makes a new one on the next dispatch through it.
    if (this._target !== this.dispatcher && isClosed(this._target)) this._target = this.dispatcher
    try {
      if (this._context === null) this._target.dispatch(this.options, this)
      else {
        const resendCount = this.attempts - 1 + this._redirectsFollowed
        dispatchInContext(this._target, this.options, this, this._context, resendCount)
      }
    } catch (err) {
      attemptFailed(this, err)
    }
  }

  /** Aborts the call with `reason`, whatever phase it is in. */
  abort(reason: MooringError): void {
    if (this._phase === Phase.Done || this._abortReason !== null) return
    this._abortReason = reason
    if (this._controller !== null) {
      this._controller.abort(reason)
      return
    }
    // Queued for a connection or between attempts: answer now. A queued dispatch is aborted the
    // moment it reaches a connection (onRequestStart), before any byte is written.
    this._fail(reason)
  }

  /** The caller's signal fired. */
  handleEvent(): void {
    this.abort(new AbortError(this.info, this.#signal?.reason))
  }

  checkDeadlines(now: number): void {
    checkCallDeadlines(this, now)
  }

  onRequestStart(controller: Controller): void {
    if (this._abortReason !== null || this._phase !== Phase.Head || this._controller !== null) {
      controller.abort(this._abortReason ?? new Error('superseded attempt'))
      return
    }
    this._controller = controller
    this._started = true
    this._waitingForConnection = false
    this._progress++
    if (observeChannels.poolWait.hasSubscribers) {
      observeChannels.poolWait.publish({
        origin: String(this.options.origin),
        wait: performance.now() - (this._poolDeadline - this._timeouts.pool),
      })
    }
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (controller !== this._controller) return
    this._progress++
    if (this._limiter !== null || this._breaker !== null) headReceived(this, statusCode, headers)
    // `location` is read for a 3xx only: on undici's header object a missing key is a slow lookup.
    if (statusCode >= 300 && statusCode < 400 && this._policy.maxRedirects !== 0) {
      const location = headers.location
      if (location !== undefined && redirectHop(this, statusCode, location)) return
    }
    if (retryOnStatus(this, statusCode, headers)) return
    // An encoded body is decoded for this response only; one that is not costs this header read.
    if (
      headers['content-encoding'] !== undefined &&
      this._policy.decompress &&
      this.options.method !== 'HEAD'
    ) {
      try {
        startDecoding(this, controller, statusCode, headers, statusMessage ?? '')
      } catch (err) {
        // More encodings than undici decodes (its cap is five).
        this._decoder = null
        this.abort(mapError(err, this.info, true, this._timeouts, true))
      }
      return
    }
    this._decodedHead(controller, statusCode, headers, statusMessage ?? '')
  }

  /**
   * The response head as the caller gets it: from `onResponseStart`, or from the decoder (its
   * controller then, so pausing the body pauses decoding; `content-encoding` and `-length` gone).
   * @internal
   */
  _decodedHead(
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage: string,
  ): void {
    if (this._policy.maxResponseSize !== Number.POSITIVE_INFINITY) {
      const length = Number(headers['content-length'])
      if (length > this._policy.maxResponseSize) {
        this.abort(new ResponseTooLargeError(this.info, this._policy.maxResponseSize))
        return
      }
    }
    const response = new MooringResponse(
      controller,
      statusCode,
      statusMessage,
      headers as Record<string, string | string[]>,
      this.options.method,
      String(this.options.origin),
      this.options.path,
      this.attempts,
      this.retries,
    )
    if (this._policy.shownQuery !== null) response._shownQuery = this._policy.shownQuery
    this.#response = response
    this._phase = Phase.Body
    this.#settled = true
    const resolve = this.#resolve!
    const reject = this.#reject!
    this.#resolve = this.#reject = null
    if (observed(this._hooks, 'response'))
      this._emit('response', responseEvent(this, statusCode, this._startedAt))
    if (this._policy.raiseForStatus && statusCode >= 400) reject(new HttpStatusError(response))
    else resolve(response)
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (controller !== this._controller) return
    this._progress++
    if (this._decoder !== null) {
      this._decoder.onResponseData!(controller, chunk)
      return
    }
    if (this._phase === Phase.Body) {
      this._decodedData(chunk)
      return
    }
    this._discarded += chunk.length
    if (this._discarded > DISCARD_LIMIT)
      controller.abort(new Error('discarding the body of a retried attempt'))
  }

  /** @internal A chunk of the body, decoded when it came encoded: counted against `maxResponseSize`. */
  _decodedData(chunk: Buffer): void {
    if (this._phase === Phase.Body) {
      this.#received += chunk.length
      if (this.#received > this._policy.maxResponseSize) {
        this.abort(new ResponseTooLargeError(this.info, this._policy.maxResponseSize))
        return
      }
      this.#response!._push(chunk)
    }
  }

  onResponseEnd(controller: Controller): void {
    if (controller !== this._controller) return
    if (this._phase === Phase.Discard) {
      afterDiscard(this)
      return
    }
    if (this._decoder !== null) this._decoder.onResponseEnd!(controller, {})
    else this._decodedEnd()
  }

  /** @internal The body is complete (and decoded, when it came encoded). */
  _decodedEnd(): void {
    this.#response!._end()
    this.#finish(Outcome.Done)
  }

  /** @internal Decoding failed, or the attempt under it did. */
  _decodedError(err: Error): void {
    this._decoder = null
    attemptFailed(this, err)
  }

  onResponseError(controller: Controller | undefined, err: Error): void {
    // A callback from an attempt this call has already moved on from.
    // Before onRequestStart an error may come with no controller (undici) or with an interceptor's
    // own (undici's decompress passes its controller whatever happened below it), so only the
    // controller of the attempt the call moved on from is told apart.
    if (
      controller !== this._controller &&
      (this._started || (controller !== undefined && controller === this._movedOn))
    )
      return
    const decoder = this._decoder
    if (decoder !== null) {
      // The decoder stops its streams and hands the error back (_decodedError).
      decoder.onResponseError!(controller!, err)
      if (this._decoder === null) return
      this._decoder = null
    }
    attemptFailed(this, err)
  }

  /** @internal undici has handed the refusal to every call it will (h2-refusal.ts). */
  _refusalVerdict(): void {
    refusalVerdict(this)
  }

  /** Runs the next attempt in `delay` ms (a retry, a redirect, a turn of the rate limit). */
  _nextIn(delay: number): void {
    this._timer = setTimeout(nextAttempt, delay, this)
  }

  _next(): void {
    this._timer = null
    if (this._phase !== Phase.Backoff) return
    // The timer was set in undici's callback, in the context of whoever opened the connection.
    if (this._context !== null) this._context.runInAsyncScope(this.#redispatch, this)
    else this._dispatch(performance.now())
  }

  #redispatch(): void {
    this._dispatch(performance.now())
  }

  /** Hooks and channels in the caller's context: these events come from socket callbacks and timers. */
  _emit(name: EventName, event: object): void {
    if (this._context === null) emit(this._hooks, name, event)
    else this._context.runInAsyncScope(emit, null, this._hooks, name, event)
  }

  _fail(err: unknown): void {
    if (this._phase === Phase.Done) return
    if (this._probe) {
      this._breaker?.abandon(true)
      this._probe = false
    }
    const error = mapError(this._abortReason ?? err, this.info, this._started, this._timeouts, this._reached)
    error.attempts = this.attempts
    error.retries = this.retries
    if (this.#response !== null) this.#response._fail(error)
    else if (!this.#settled) {
      this.#settled = true
      const reject = this.#reject!
      this.#resolve = this.#reject = null
      reject(error)
    }
    if (observed(this._hooks, 'error')) this._emit('error', errorEvent(this, error, this._startedAt))
    this.#finish(error instanceof RequestRejectedError ? Outcome.Refused : Outcome.Failed)
  }

  #finish(outcome: Outcome): void {
    if (this._phase === Phase.Done) return
    this._phase = Phase.Done
    this._controller = null
    this._decoder = null
    this._waitingForConnection = false
    if (this._timer !== null) {
      clearTimeout(this._timer)
      this._timer = null
    }
    deadlines.delete(this)
    if (this.#signal !== undefined) this.#signal.removeEventListener('abort', this)
    this.owner._callSettled(this, outcome)
  }
}
