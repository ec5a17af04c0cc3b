import { type Dispatcher, errors } from 'undici'
import { unrefTimer } from '../timers.js'

/** Header names and values as undici hands them to a handler: lower-case names, string or string[] values. */
export type ResponseHeaders = Record<string, string | string[]>

/** What an app answered, in the shape a handler is driven with: the head, then the body to stream. */
export interface AppResponse {
  status: number
  statusText: string
  headers: ResponseHeaders
  body: ReadableStream<Uint8Array> | null
}

/**
 * undici's per-request `headersTimeout` and `bodyTimeout`, which its Client enforces on a socket and
 * an in-process transport must enforce itself; 0 turns one off.
 */
export interface PhaseTimeouts {
  /** From the app having the request to its response head. */
  headers: number
  /** Waiting for the app's next body chunk (time paused by the handler does not count). */
  body: number
}

const NO_CONTEXT = Object.freeze({})
const NO_TRAILERS: ResponseHeaders = Object.freeze({}) as ResponseHeaders

function ignore(): void {}

/**
 * A handler that throws from its last callback has nobody left to tell: surface it as undici does
 * when a handler throws from a socket event, instead of swallowing it.
 */
function rethrow(err: unknown): void {
  queueMicrotask(() => {
    throw err
  })
}

function newHeadersTimeout(): Error {
  return new errors.HeadersTimeoutError()
}

function newBodyTimeout(): Error {
  return new errors.BodyTimeoutError()
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
}

/**
 * The controller of undici's handler API for a request that never touches a socket. The transport
 * drives the handler through it (`start`, `respond`, `fail`); the handler pauses, resumes and aborts
 * through it. Its one rule is undici's: after the end or an error the handler hears nothing more.
 */
export class InProcessController implements Dispatcher.DispatchController {
  readonly #handler: Dispatcher.DispatchHandler
  readonly #onSettled: (controller: InProcessController) => void
  /** Aborted when the call fails or is aborted, so the app can stop working on it. */
  readonly #app = new AbortController()
  #done = false
  #aborted = false
  #paused = false
  #reason: Error | null = null
  #wake: (() => void) | null = null
  #cancelBody: ((reason: Error) => void) | null = null
  readonly #timeouts: PhaseTimeouts
  #timer: ReturnType<typeof setTimeout> | null = null
  #timeoutError: (() => Error) | null = null

  constructor(
    handler: Dispatcher.DispatchHandler,
    onSettled: (controller: InProcessController) => void,
    timeouts: PhaseTimeouts,
  ) {
    this.#handler = handler
    this.#onSettled = onSettled
    this.#timeouts = timeouts
  }

  get aborted(): boolean {
    return this.#aborted
  }

  get paused(): boolean {
    return this.#paused
  }

  get reason(): Error | null {
    return this.#reason
  }

  /** The handler has had its last callback (end or error). */
  get done(): boolean {
    return this.#done
  }

  /** Fires when the call is aborted or fails: the app's view of the client going away. */
  get signal(): AbortSignal {
    return this.#app.signal
  }

  pause(): void {
    if (!this.#done) this.#paused = true
  }

  resume(): void {
    if (!this.#paused) return
    this.#paused = false
    this.#wakeUp()
  }

  abort(reason: Error): void {
    if (this.#done) return
    this.#aborted = true
    this.#reason = reason
    this.fail(reason)
  }

  /** Tells the handler the request is under way; false when it aborted at once. */
  start(): boolean {
    try {
      this.#handler.onRequestStart?.(this, NO_CONTEXT)
    } catch (err) {
      this.fail(err)
    }
    return !this.#done
  }

  /** The app has the request: from now on it owes the head within the headers timeout. */
  awaitHead(): void {
    this.#arm(this.#timeouts.headers, newHeadersTimeout)
  }

  /**
   * Hands the handler the head, then the body chunk by chunk, pulling the next chunk only while
   * not paused, so a paused handler holds the app's stream back; then the end. Resolves when done.
   */
  async respond(response: AppResponse): Promise<void> {
    const body = response.body
    if (this.#done) {
      body?.cancel(this.#reason ?? undefined).catch(ignore)
      return
    }
    this.#disarm()
    try {
      this.#handler.onResponseStart?.(this, response.status, response.headers, response.statusText)
    } catch (err) {
      this.fail(err)
    }
    if (this.#done) {
      body?.cancel(this.#reason ?? undefined).catch(ignore)
      return
    }
    if (body === null) {
      this.#end()
      return
    }
    const reader = body.getReader()
    // A read pending when the call is aborted resolves as done once the stream is cancelled.
    this.#cancelBody = (reason) => {
      reader.cancel(reason).catch(ignore)
    }
    try {
      for (;;) {
        if (this.#paused) await this.#resumed()
        if (this.#done) return
        this.#arm(this.#timeouts.body, newBodyTimeout)
        const { done, value } = await reader.read()
        this.#disarm()
        if (this.#done) return
        if (done) {
          this.#end()
          return
        }
        if (value.byteLength === 0) continue
        // Paused while the read was pending: the chunk waits too.
        if (this.#paused) await this.#resumed()
        if (this.#done) return
        try {
          this.#handler.onResponseData?.(this, toBuffer(value))
        } catch (err) {
          this.fail(err)
        }
      }
    } catch (err) {
      // The app's stream failed mid-body.
      this.fail(err)
    } finally {
      this.#cancelBody = null
    }
  }

  /** Ends the call with `err` (the app threw, its stream failed, the transport was destroyed). */
  fail(err: unknown): void {
    if (this.#done) return
    const error = err instanceof Error ? err : new Error(String(err))
    if (this.#reason === null) this.#reason = error
    this.#settle()
    try {
      this.#handler.onResponseError?.(this, error)
    } catch (thrown) {
      rethrow(thrown)
    }
    this.#cancelBody?.(error)
    this.#app.abort(error)
  }

  #end(): void {
    if (this.#done) return
    this.#settle()
    try {
      this.#handler.onResponseEnd?.(this, NO_TRAILERS)
    } catch (thrown) {
      rethrow(thrown)
    }
  }

  #arm(ms: number, timeoutError: () => Error): void {
    this.#disarm()
    if (!(ms > 0) || this.#done) return
    this.#timeoutError = timeoutError
    this.#timer = setTimeout(this.#expire, ms)
    // Like undici's own timers: a pending call alone does not keep the process alive.
    unrefTimer(this.#timer)
  }

  #disarm(): void {
    if (this.#timer === null) return
    clearTimeout(this.#timer)
    this.#timer = null
  }

  readonly #expire = (): void => {
    this.#timer = null
    this.fail(this.#timeoutError!())
  }

  #settle(): void {
    this.#disarm()
    this.#done = true
    this.#paused = false
    this.#wakeUp()
    this.#onSettled(this)
  }

  /** Resolves on resume(), or when the call ends. */
  #resumed(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve
    })
  }

  #wakeUp(): void {
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }
}
