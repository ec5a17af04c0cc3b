import { Dispatcher, errors } from 'undici'
import { type AppResponse, InProcessController } from './controller.js'
import { type InProcessRequest, readRequest } from './request.js'

/**
 * An undici Dispatcher that answers requests in this process, without a socket: each request is
 * read in full, handed to `serve`, and the answer driven back through undici's handler API. A
 * subclass says only how to serve (a fetch handler, a mock, a Node app through light-my-request).
 *
 * `close()` waits for the requests in flight, `destroy()` aborts them; neither touches the app,
 * which belongs to whoever made it.
 */
export abstract class InProcessTransport extends Dispatcher {
  readonly #inFlight = new Set<InProcessController>()
  #idleWaiters: Array<() => void> = []
  #closed = false
  #destroyed = false
  /**
   * This dispatcher behind undici's own adapter from the legacy handler API (`onConnect`,
   * `onHeaders`, …), made on the first legacy handler: Bun's undici shim has no `compose`, and
   * Mooring's own calls speak the new API.
   */
  #legacyDispatch: Dispatcher['dispatch'] | null = null

  /** Answers one request. `signal` aborts when the call is aborted or fails. */
  protected abstract serve(request: InProcessRequest, signal: AbortSignal): Promise<AppResponse>

  /** Requests started and not yet ended or failed. */
  get inFlight(): number {
    return this.#inFlight.size
  }

  /** True once `close()` or `destroy()` was called: new requests are refused. */
  get closed(): boolean {
    return this.#closed
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.#destroyed) throw new errors.ClientDestroyedError()
    if (this.#closed) throw new errors.ClientClosedError()
    // undici's request(), stream() and fetch() still speak the legacy API.
    if (typeof handler.onRequestStart !== 'function') {
      this.#legacyDispatch ??= this.compose((dispatch) => (o, h) => dispatch(o, h)).dispatch
      return this.#legacyDispatch(options, handler)
    }
    const controller = new InProcessController(handler, this.#settled, {
      headers: options.headersTimeout ?? 0,
      body: options.bodyTimeout ?? 0,
    })
    this.#inFlight.add(controller)
    // undici never calls a handler from inside dispatch(): callers expect dispatch() to return first.
    queueMicrotask(() => {
      void this.#exchange(options, controller)
    })
    return true
  }

  async #exchange(options: Dispatcher.DispatchOptions, controller: InProcessController): Promise<void> {
    try {
      if (!controller.start()) return
      const request = await readRequest(options)
      if (controller.done) return
      controller.awaitHead()
      await controller.respond(await this.serve(request, controller.signal))
    } catch (err) {
      controller.fail(err)
    }
  }

  readonly #settled = (controller: InProcessController): void => {
    this.#inFlight.delete(controller)
    if (this.#inFlight.size > 0 || this.#idleWaiters.length === 0) return
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  #idle(): Promise<void> {
    if (this.#inFlight.size === 0) return Promise.resolve()
    return new Promise<void>((resolve) => {
      this.#idleWaiters.push(resolve)
    })
  }

  /** Refuses new requests and resolves once those in flight have ended. */
  override close(): Promise<void>
  override close(callback: () => void): void
  override close(callback?: () => void): Promise<void> | undefined {
    this.#closed = true
    const idle = this.#idle()
    if (callback === undefined) return idle
    idle.then(callback)
    return undefined
  }

  /** Refuses new requests and fails those in flight with `err` (undici's ClientDestroyedError by default). */
  override destroy(): Promise<void>
  override destroy(err: Error | null): Promise<void>
  override destroy(callback: () => void): void
  override destroy(err: Error | null, callback: () => void): void
  override destroy(
    errOrCallback?: Error | null | (() => void),
    maybeCallback?: () => void,
  ): Promise<void> | undefined {
    const callback = typeof errOrCallback === 'function' ? errOrCallback : maybeCallback
    const err = typeof errOrCallback === 'function' ? null : errOrCallback
    this.#closed = true
    this.#destroyed = true
    const reason = err ?? new errors.ClientDestroyedError()
    for (const controller of [...this.#inFlight]) controller.abort(reason)
    const idle = this.#idle()
    if (callback === undefined) return idle
    idle.then(callback)
    return undefined
  }
}
