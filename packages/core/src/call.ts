import type { Dispatcher } from 'undici'
import type { DeadlineHolder } from './deadlines.js'
import { deadlines } from './deadlines.js'
import {
  AbortError,
  HttpStatusError,
  type MooringError,
  type RequestInfo,
  type RetryRecord,
  TimeoutError,
} from './errors.js'
import { mapError } from './map-error.js'
import type { NormalizedTimeouts } from './options.js'
import { redactUrl } from './redact.js'
import { MooringResponse } from './response.js'

type Controller = Dispatcher.DispatchController

/** What a call needs from the client or scope that made it. */
export interface CallOwner {
  /** @internal */
  _callSettled(call: Call, failed: boolean): void
}

const NO_RETRIES: RetryRecord[] = []
Object.freeze(NO_RETRIES)

/**
 * One logical request: the undici dispatch handler (new handler API), its deadlines and its abort
 * handle in one object, so a call allocates no AbortController, no closure per phase and no stream.
 * It is its own `abort` event listener (`handleEvent`), so a caller's signal costs no closure either.
 */
export class Call implements Dispatcher.DispatchHandler, DeadlineHolder {
  readonly owner: CallOwner
  readonly dispatcher: Dispatcher
  readonly options: Dispatcher.DispatchOptions
  readonly timeouts: NormalizedTimeouts
  readonly raiseForStatus: boolean
  readonly signal: AbortSignal | undefined
  readonly #poolTimeout: number
  #poolDeadline = 0
  readonly #totalDeadline: number
  #controller: Controller | null = null
  #started = false
  /** The caller has its answer (the head, or an error). */
  #settled = false
  /** Mooring is done with this call: body complete, failed or aborted. */
  #finished = false
  #response: MooringResponse | null = null
  #abortReason: MooringError | null = null
  #resolve: ((response: MooringResponse) => void) | null = null
  #reject: ((reason: unknown) => void) | null = null
  attempts = 0
  retries: RetryRecord[] = NO_RETRIES
  /** The per-origin counters of the client that made the call. */
  counters: { inFlight: number; done: number; failed: number } | null = null

  constructor(
    owner: CallOwner,
    dispatcher: Dispatcher,
    options: Dispatcher.DispatchOptions,
    timeouts: NormalizedTimeouts,
    totalDeadline: number,
    raiseForStatus: boolean,
    signal: AbortSignal | undefined,
  ) {
    this.owner = owner
    this.dispatcher = dispatcher
    this.options = options
    this.timeouts = timeouts
    this.#poolTimeout = timeouts.pool
    this.#totalDeadline = totalDeadline
    this.raiseForStatus = raiseForStatus
    this.signal = signal
  }

  get info(): RequestInfo {
    return { method: this.options.method, url: redactUrl(String(this.options.origin) + this.options.path) }
  }

  /** Starts the call; the promise settles with the response head or a typed error. */
  run(now: number): Promise<MooringResponse> {
    const promise = new Promise<MooringResponse>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    if (this.signal !== undefined) this.signal.addEventListener('abort', this)
    deadlines.add(this)
    this.#dispatch(now)
    return promise
  }

  #dispatch(now: number): void {
    this.attempts++
    this.#controller = null
    this.#started = false
    this.#poolDeadline = now + this.#poolTimeout
    try {
      this.dispatcher.dispatch(this.options, this)
    } catch (err) {
      this.#fail(err)
    }
  }

  /** Aborts the call with `reason`, whatever phase it is in. */
  abort(reason: MooringError): void {
    if (this.#finished || this.#abortReason !== null) return
    this.#abortReason = reason
    if (this.#controller !== null) {
      this.#controller.abort(reason)
      return
    }
    // Still queued for a connection: answer now; the queued dispatch is aborted the moment it
    // reaches a connection (onRequestStart), before any byte is written.
    this.#fail(reason)
  }

  /** The caller's signal fired. */
  handleEvent(): void {
    this.abort(new AbortError(this.info, this.signal?.reason))
  }

  checkDeadlines(now: number): void {
    if (!this.#started && now >= this.#poolDeadline && this.#response === null) {
      this.abort(new TimeoutError('pool', this.#poolTimeout, this.info, 'not-sent'))
    } else if (now >= this.#totalDeadline) {
      this.abort(
        new TimeoutError('total', this.timeouts.total, this.info, this.#started ? 'maybe' : 'not-sent'),
      )
    }
  }

  onRequestStart(controller: Controller): void {
    if (this.#abortReason !== null) {
      controller.abort(this.#abortReason)
      return
    }
    this.#controller = controller
    this.#started = true
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (controller !== this.#controller) return
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
    this.#response = response
    this.#settled = true
    const resolve = this.#resolve!
    const reject = this.#reject!
    this.#resolve = this.#reject = null
    if (this.raiseForStatus && statusCode >= 400) reject(new HttpStatusError(response))
    else resolve(response)
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (controller !== this.#controller) return
    this.#response!._push(chunk)
  }

  onResponseEnd(controller: Controller): void {
    if (controller !== this.#controller) return
    this.#response!._end()
    this.#finish(false)
  }

  onResponseError(controller: Controller | undefined, err: Error): void {
    // A callback from an attempt this call has already moved on from.
    if (controller !== this.#controller && (controller !== undefined || this.#started)) return
    this.#fail(err)
  }

  #fail(err: unknown): void {
    if (this.#finished) return
    const error = mapError(this.#abortReason ?? err, this.info, this.#started, this.timeouts)
    error.attempts = this.attempts
    error.retries = this.retries
    if (this.#response !== null) this.#response._fail(error)
    else if (!this.#settled) {
      this.#settled = true
      const reject = this.#reject!
      this.#resolve = this.#reject = null
      reject(error)
    }
    this.#finish(true)
  }

  #finish(failed: boolean): void {
    if (this.#finished) return
    this.#finished = true
    this.#controller = null
    deadlines.delete(this)
    if (this.signal !== undefined) this.signal.removeEventListener('abort', this)
    this.owner._callSettled(this, failed)
  }
}
