import type { Dispatcher } from 'undici'
import type { CircuitBreaker } from '../policy/breaker.js'
import type { RetryBudget } from '../policy/budget.js'
import type { DeadlineHolder } from './deadlines.js'
import { deadlines } from './deadlines.js'
import {
  AbortError,
  CircuitOpenError,
  HttpStatusError,
  RateLimitedError,
  RequestRejectedError,
  ResponseTooLargeError,
  TooManyRedirectsError,
  type MooringError,
  type MooringRequestInfo,
  type RetryRecord,
  TimeoutError,
} from '../errors.js'
import { emit, type Hooks, observed } from '../observe/instrument.js'
import { isLocalRefusal, mapError } from './map-error.js'
import type { NormalizedTimeouts } from '../config/options.js'
import type { CallPolicy, RequestPlan } from '../config/plan.js'
import { redirectTarget } from '../policy/redirect.js'
import { redactUrl } from '../observe/redact.js'
import { MooringResponse } from './response.js'
import { errorRetryDelay, errorRetryReason, NO_RETRY, statusRetryDelay } from '../policy/retry-decision.js'
import type { OriginState } from '../observe/stats.js'
import { isStaleConnectionError } from './connector.js'
import type { RateLimiter } from '../features/rate-limit.js'
import { parseRetryAfter } from '../policy/retry-after.js'
import type { RateLimitDecision } from '../policy/rate-limit-store.js'

type Controller = Dispatcher.DispatchController

/** How a call ended, for the per-origin counters. */
export enum Outcome {
  Done = 0,
  Failed = 1,
  /** Refused before anything was sent (undici would not send it): not counted against the origin. */
  Refused = 2,
}

/** What a call needs from the client or scope that made it. */
export interface CallOwner {
  /** @internal */
  _callSettled(call: Call, outcome: Outcome): void
}

const NO_RETRIES: RetryRecord[] = []
Object.freeze(NO_RETRIES)

/** A retried attempt's body worth reading to keep its connection; past this it is aborted. */
const DISCARD_LIMIT = 64 * 1024

enum Phase {
  /** Dispatched, waiting for a connection or the response head. */
  Head = 0,
  /** The head was handed to the caller; the body is arriving. */
  Body = 1,
  /** A retry was decided on this attempt's status; its body is being discarded. */
  Discard = 2,
  /** Waiting for the next attempt (backoff). */
  Backoff = 3,
  Done = 4,
}

/**
 * One logical request: the undici dispatch handler (new handler API), its deadlines, its retries and
 * its abort handle in one object, so a call allocates no AbortController, no closure per phase and
 * no stream. It is its own `abort` event listener (`handleEvent`), so a caller's signal costs no
 * closure either. Attempts reuse the object: a callback from an attempt the call has moved on from
 * is told apart by its controller.
 */
export class Call implements Dispatcher.DispatchHandler, DeadlineHolder {
  /** @internal Links in the deadline sweeper's list and in the owner's list of calls (no Sets: see deadlines.ts). */
  _sweepPrev: DeadlineHolder | null = null
  _sweepNext: DeadlineHolder | null = null
  _swept = false
  /** @internal */
  _ownerPrev: Call | null = null
  /** @internal */
  _ownerNext: Call | null = null
  /** @internal */
  _owned = false
  readonly owner: CallOwner
  readonly dispatcher: Dispatcher
  /** What the call sends and how it behaves, planned before it started; never written to. */
  readonly plan: RequestPlan
  /** The dispatch options of the current attempt: the plan, or a redirect's target. */
  options: Dispatcher.DispatchOptions
  readonly #policy: CallPolicy
  /** The origin's counters, retry budget and breaker. */
  readonly state: OriginState
  readonly #budget: RetryBudget | null
  readonly #breaker: CircuitBreaker | null
  readonly #timeouts: NormalizedTimeouts
  readonly #signal: AbortSignal | undefined
  readonly #hooks: Hooks | null
  readonly #totalDeadline: number
  #startedAt = 0
  #poolDeadline = 0
  #waitingForConnection = false
  #controller: Controller | null = null
  /** The controller of the attempt the call last moved on from (a retry, a redirect). */
  #movedOn: Controller | null = null
  #started = false
  #phase = Phase.Head
  #settled = false
  #response: MooringResponse | null = null
  #abortReason: MooringError | null = null
  #resolve: ((response: MooringResponse) => void) | null = null
  #reject: ((reason: unknown) => void) | null = null
  #retriesUsed = 0
  #staleReplayed = false
  #discarded = 0
  #nextDelay = 0
  #nextReason = ''
  #timer: NodeJS.Timeout | null = null
  /** Bumped at each sign of life (connection, head, chunk); the sweeper times the gaps. */
  #progress = 0
  #seenProgress = 0
  #progressAt = 0
  /** This attempt is the half-open circuit's probe. */
  #probe = false
  attempts = 0
  retries: RetryRecord[] = NO_RETRIES
  #redirectsFollowed = 0
  #redirectTo: Dispatcher.DispatchOptions | null = null
  #countAttempt = true
  /** The client's rate limit, when it has one. */
  readonly #limiter: RateLimiter | null
  /** The rate limit's answer came asynchronously and admitted the attempt about to be dispatched. */
  #turnGiven = false
  /** Waiting for a turn the rate limit reserved. */
  #queued = false
  #received = 0
  constructor(owner: CallOwner, dispatcher: Dispatcher, plan: RequestPlan, state: OriginState) {
    this.owner = owner
    this.dispatcher = dispatcher
    this.plan = plan
    this.options = plan
    const policy = plan.policy
    this.#policy = policy
    this.state = state
    this.#budget = policy.budgeted ? state.budget : null
    this.#breaker = state.breaker
    this.#timeouts = policy.timeouts
    this.#signal = plan.callSignal
    this.#hooks = policy.hooks
    this.#limiter = policy.rateLimit
    this.#totalDeadline = plan.deadline
  }

  get info(): MooringRequestInfo {
    return {
      method: this.options.method,
      url: redactUrl(String(this.options.origin) + this.options.path, this.#policy.shownQuery),
    }
  }

  /** Starts the call; the promise settles with the response head or a typed error. */
  run(now: number): Promise<MooringResponse> {
    const promise = new Promise<MooringResponse>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    this.#startedAt = now
    if (this.#signal !== undefined) this.#signal.addEventListener('abort', this)
    this.#budget?.deposit(now)
    if (observed(this.#hooks, 'request')) emit(this.#hooks, 'request', this.info)
    deadlines.add(this)
    this.#dispatch(now)
    return promise
  }

  #dispatch(now: number): void {
    if (this.#limiter !== null && !this.#admitted(this.#limiter, now)) return
    const breaker = this.#breaker
    if (breaker !== null) {
      const verdict = breaker.tryPass()
      if (verdict === 'open') {
        this.#fail(new CircuitOpenError(this.info))
        return
      }
      this.#probe = verdict === 'probe'
    }
    if (this.#countAttempt) this.attempts++
    this.#countAttempt = true
    this.#phase = Phase.Head
    this.#controller = null
    this.#started = false
    this.#waitingForConnection = true
    this.#poolDeadline = now + this.#timeouts.pool
    try {
      this.dispatcher.dispatch(this.options, this)
    } catch (err) {
      this.#attemptFailed(err)
    }
  }

  /**
   * Asks the rate limit for this attempt's turn (features/rate-limit.ts). False when the attempt
   * must wait (the call is in Backoff until its turn, then dispatches again) or fails: a turn past
   * the deadline is a RateLimitedError at once, not a wait that ends in a timeout.
   */
  #admitted(limiter: RateLimiter, now: number): boolean {
    if (this.#turnGiven) {
      this.#turnGiven = false
      return true
    }
    const decision = limiter.take(String(this.options.origin), this.#queued, this.#totalDeadline - now)
    if (!(decision instanceof Promise)) return this.#onTurn(decision, now)
    this.#phase = Phase.Backoff
    this.#waitingForConnection = false
    decision.then(
      (d) => {
        if (this.#phase !== Phase.Backoff) return
        const at = performance.now()
        if (this.#onTurn(d, at)) {
          this.#turnGiven = true
          this.#dispatch(at)
        }
      },
      (err: unknown) => this.#fail(err),
    )
    return false
  }

  #onTurn(decision: RateLimitDecision, now: number): boolean {
    if (decision.ok) {
      this.#queued = false
      return true
    }
    const wait = decision.retryAfterMs
    if (now + wait >= this.#totalDeadline) {
      this.#fail(new RateLimitedError(this.info, wait))
      return false
    }
    // The limiter reserved this turn: at its end the call asks the store, ahead of newcomers.
    this.#queued = true
    this.#phase = Phase.Backoff
    this.#waitingForConnection = false
    this.#timer = setTimeout(this.#next, wait)
    return false
  }

  /** Aborts the call with `reason`, whatever phase it is in. */
  abort(reason: MooringError): void {
    if (this.#phase === Phase.Done || this.#abortReason !== null) return
    this.#abortReason = reason
    if (this.#controller !== null) {
      this.#controller.abort(reason)
      return
    }
    // Queued for a connection or between attempts: answer now. A queued dispatch is aborted the
    // moment it reaches a connection (onRequestStart), before any byte is written.
    this.#fail(reason)
  }

  /** The caller's signal fired. */
  handleEvent(): void {
    this.abort(new AbortError(this.info, this.#signal?.reason))
  }

  checkDeadlines(now: number): void {
    if (this.#waitingForConnection && now >= this.#poolDeadline) {
      this.abort(new TimeoutError('pool', this.#timeouts.pool, this.info, 'not-sent'))
      return
    }
    if (now >= this.#totalDeadline) {
      // Past the deadline with an abort already asked for: undici never answered it (it answers at
      // once as a rule). Settle without it, so no call outlives its deadline by more than a tick.
      if (this.#abortReason !== null) {
        this.#fail(this.#abortReason)
        return
      }
      // The scope's deadline may end the call before timeout.total: report the budget it really had.
      const budget = Math.round(this.#totalDeadline - this.#startedAt)
      this.abort(new TimeoutError('total', budget, this.info, this.#started ? 'maybe' : 'not-sent'))
      return
    }
    // Headers and body-idle timeouts, to the tick: undici's own timers for these run on a coarse
    // clock (up to a second late) and stay as a backstop. Progress is counted, not timed, so a call
    // reads no clock per chunk; the first tick that sees no progress starts the wait.
    const controller = this.#controller
    if (controller === null) return
    if (this.#progress !== this.#seenProgress) {
      this.#seenProgress = this.#progress
      this.#progressAt = now
      return
    }
    const idle = now - this.#progressAt
    if (this.#phase === Phase.Head) {
      if (idle >= this.#timeouts.headers)
        controller.abort(new TimeoutError('headers', this.#timeouts.headers, this.info, 'maybe'))
    } else if (!controller.paused && idle >= this.#timeouts.body) {
      // A connection paused because nobody reads the body is not the server stalling.
      controller.abort(new TimeoutError('body', this.#timeouts.body, this.info, 'maybe'))
    }
  }

  onRequestStart(controller: Controller): void {
    if (this.#abortReason !== null || this.#phase !== Phase.Head || this.#controller !== null) {
      controller.abort(this.#abortReason ?? new Error('superseded attempt'))
      return
    }
    this.#controller = controller
    this.#started = true
    this.#waitingForConnection = false
    this.#progress++
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (controller !== this.#controller) return
    this.#progress++
    if (statusCode === 429 && this.#limiter !== null) {
      // The origin said slow down: every caller of this client (and of its store) waits it out.
      const pause = parseRetryAfter(headers['retry-after'])
      if (pause !== undefined) this.#limiter.pause(String(this.options.origin), pause)
    }
    const breaker = this.#breaker
    if (breaker !== null) {
      if (statusCode >= 500) breaker.failure(this.#probe)
      else breaker.success(this.#probe)
      this.#probe = false
    }
    if (
      this.#policy.maxRedirects !== 0 &&
      statusCode >= 300 &&
      statusCode < 400 &&
      headers.location !== undefined
    ) {
      if (this.#redirectsFollowed >= this.#policy.maxRedirects) {
        this.abort(new TooManyRedirectsError(this.info, this.#policy.maxRedirects))
        return
      }
      const next = redirectTarget(
        this.options,
        statusCode,
        headers.location,
        this.plan.redirectHeaders,
        this.#policy.replayable,
      )
      if (next !== null) {
        this.#redirectTo = next
        this.#phase = Phase.Discard
        this.#discarded = 0
        return
      }
    }
    if (this.#shouldRetryStatus(statusCode, headers)) {
      this.#phase = Phase.Discard
      this.#discarded = 0
      return
    }
    if (this.#policy.maxResponseSize !== Number.POSITIVE_INFINITY) {
      const length = Number(headers['content-length'])
      if (length > this.#policy.maxResponseSize) {
        this.abort(new ResponseTooLargeError(this.info, this.#policy.maxResponseSize))
        return
      }
    }
    const response = new MooringResponse(
      controller,
      statusCode,
      statusMessage ?? '',
      headers as Record<string, string | string[]>,
      this.options.method,
      String(this.options.origin),
      this.options.path,
      this.attempts,
      this.retries,
    )
    if (this.#policy.shownQuery !== null) response._shownQuery = this.#policy.shownQuery
    this.#response = response
    this.#phase = Phase.Body
    this.#settled = true
    const resolve = this.#resolve!
    const reject = this.#reject!
    this.#resolve = this.#reject = null
    if (observed(this.#hooks, 'response')) {
      emit(this.#hooks, 'response', {
        ...this.info,
        status: statusCode,
        attempts: this.attempts,
        retries: this.retries,
        duration: performance.now() - this.#startedAt,
      })
    }
    if (this.#policy.raiseForStatus && statusCode >= 400) reject(new HttpStatusError(response))
    else resolve(response)
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (controller !== this.#controller) return
    this.#progress++
    if (this.#phase === Phase.Body) {
      this.#received += chunk.length
      if (this.#received > this.#policy.maxResponseSize) {
        this.abort(new ResponseTooLargeError(this.info, this.#policy.maxResponseSize))
        return
      }
      this.#response!._push(chunk)
      return
    }
    this.#discarded += chunk.length
    if (this.#discarded > DISCARD_LIMIT)
      controller.abort(new Error('discarding the body of a retried attempt'))
  }

  onResponseEnd(controller: Controller): void {
    if (controller !== this.#controller) return
    if (this.#phase === Phase.Discard) {
      this.#afterDiscard()
      return
    }
    this.#response!._end()
    this.#finish(Outcome.Done)
  }

  onResponseError(controller: Controller | undefined, err: Error): void {
    // A callback from an attempt this call has already moved on from.
    // Before onRequestStart an error may come with no controller (undici) or with an interceptor's
    // own (undici's decompress passes its controller whatever happened below it), so only the
    // controller of the attempt the call moved on from is told apart.
    if (
      controller !== this.#controller &&
      (this.#started || (controller !== undefined && controller === this.#movedOn))
    )
      return
    this.#attemptFailed(err)
  }

  #attemptFailed(err: unknown): void {
    const phase = this.#phase
    if (phase === Phase.Done) return
    // undici refused the request before any connection: no verdict on the origin, no retry.
    const refused = this.#abortReason === null && !this.#started && isLocalRefusal(err)
    const breaker = this.#breaker
    if (breaker !== null && phase === Phase.Head) {
      if (this.#abortReason === null && !refused) breaker.failure(this.#probe)
      else breaker.abandon(this.#probe)
      this.#probe = false
    }
    if (this.#abortReason !== null) {
      this.#fail(this.#abortReason)
      return
    }
    if (refused) {
      // The deposit run() made counted a request the origin never saw; not so for a retry or a redirect.
      if (this.attempts === 1 && this.#redirectsFollowed === 0) this.#budget?.refund(this.#startedAt)
      this.#fail(err)
      return
    }
    if (phase === Phase.Discard) {
      this.#afterDiscard()
      return
    }
    if (phase === Phase.Head) {
      const retry = this.#policy
      // The server closed a reused keep-alive connection as we sent on it: replay once on a fresh
      // one when that is safe, retries on or off (httpx #346, undici "other side closed").
      if (
        !this.#staleReplayed &&
        this.#started &&
        retry.idempotent &&
        retry.replayable &&
        isStaleConnectionError(err)
      ) {
        this.#staleReplayed = true
        this.#retryLater('stale-connection', 0)
        return
      }
      const reason = errorRetryReason(retry, this.#retriesUsed, err, this.#started)
      if (reason !== null) {
        const delay = errorRetryDelay(retry, this.#retriesUsed, this.#totalDeadline - performance.now())
        if (delay !== NO_RETRY && this.#withdraw()) {
          this.#retriesUsed++
          this.#retryLater(reason, delay)
          return
        }
      }
    }
    this.#fail(err)
  }

  #shouldRetryStatus(status: number, headers: Record<string, string | string[] | undefined>): boolean {
    const msLeft = this.#totalDeadline - performance.now()
    const delay = statusRetryDelay(this.#policy, this.#retriesUsed, status, headers['retry-after'], msLeft)
    if (delay === NO_RETRY || !this.#withdraw()) return false
    this.#retriesUsed++
    this.#nextDelay = delay
    this.#nextReason = `status:${status}`
    return true
  }

  #withdraw(): boolean {
    const budget = this.#budget
    if (budget === null || budget.tryWithdraw()) return true
    this.state.budgetRefusals++
    return false
  }

  /** The discarded attempt is over: follow the redirect, or make the retry that was decided. */
  #afterDiscard(): void {
    const next = this.#redirectTo
    if (next === null) {
      this.#retryLater(this.#nextReason, this.#nextDelay)
      return
    }
    this.#redirectTo = null
    this.#redirectsFollowed++
    this.options = next
    this.#countAttempt = false
    this.#phase = Phase.Backoff
    this.#movedOn = this.#controller
    this.#controller = null
    this.#timer = setTimeout(this.#next, 0)
  }

  #retryLater(reason: string, delay: number): void {
    this.#phase = Phase.Backoff
    this.#movedOn = this.#controller
    this.#controller = null
    this.#waitingForConnection = false
    const record: RetryRecord = { attempt: this.attempts, reason, delay }
    this.retries = this.retries === NO_RETRIES ? [record] : [...this.retries, record]
    this.state.countRetry(reason)
    if (observed(this.#hooks, 'retry')) {
      emit(this.#hooks, 'retry', { ...this.info, attempt: this.attempts, reason, delay })
    }
    // Never re-dispatch from inside undici's callback: the next attempt starts on a clean stack.
    this.#timer = setTimeout(this.#next, delay)
  }

  readonly #next = (): void => {
    this.#timer = null
    if (this.#phase !== Phase.Backoff) return
    this.#dispatch(performance.now())
  }

  #fail(err: unknown): void {
    if (this.#phase === Phase.Done) return
    if (this.#probe) {
      this.#breaker?.abandon(true)
      this.#probe = false
    }
    const error = mapError(this.#abortReason ?? err, this.info, this.#started, this.#timeouts)
    error.attempts = this.attempts
    error.retries = this.retries
    if (this.#response !== null) this.#response._fail(error)
    else if (!this.#settled) {
      this.#settled = true
      const reject = this.#reject!
      this.#resolve = this.#reject = null
      reject(error)
    }
    if (observed(this.#hooks, 'error')) {
      emit(this.#hooks, 'error', {
        ...this.info,
        error,
        attempts: this.attempts,
        retries: this.retries,
        duration: performance.now() - this.#startedAt,
      })
    }
    this.#finish(error instanceof RequestRejectedError ? Outcome.Refused : Outcome.Failed)
  }

  #finish(outcome: Outcome): void {
    if (this.#phase === Phase.Done) return
    this.#phase = Phase.Done
    this.#controller = null
    this.#waitingForConnection = false
    if (this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
    deadlines.delete(this)
    if (this.#signal !== undefined) this.#signal.removeEventListener('abort', this)
    this.owner._callSettled(this, outcome)
  }
}
