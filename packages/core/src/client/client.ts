import type { Dispatcher } from 'undici'
import { Call, type CallOwner, Outcome } from '../call/call.js'
import { planRequest } from '../config/plan.js'
import { checkRequestKeys, type MooringRequestInit, type RequestOptions } from '../config/request.js'
import { deriveScope, type ScopeConfig, type ScopeOptions } from '../config/scope.js'
import { AbortError, ClientClosedError, ConfigError, MooringError, ScopeClosedReason } from '../errors.js'
import { MiddlewareChain } from '../middleware/chain.js'
import { fromMiddlewareRequest, toMiddlewareRequest } from '../middleware/entry.js'
import type { MooringRequest, SendRequest } from '../middleware/request.js'
import { emit, observed } from '../observe/instrument.js'
import { redactUrl } from '../observe/redact.js'
import type { ClientStats } from '../observe/stats.js'
import { brand, CLIENT_BRAND, isBranded } from '../brand.js'
import type { MooringResponse } from '../call/response.js'
import { expectMs } from '../config/validate.js'
import { createOwnedDispatcher, routeTo } from './dispatcher.js'
import { InFlight } from './in-flight.js'
import type { Origins } from './origins.js'
import { ScopeFactory } from './scope-factory.js'
import { RESOLVED } from './settled.js'
import { clientStats } from './stats.js'
import { trackUnclosed, untrackUnclosed } from './unclosed.js'
import { type PaginateOptions, paginate } from '../features/paginate.js'

export type { MooringRequestInit, RequestOptions, ScopeOptions }

export interface CloseOptions {
  /** How long in-flight requests may run before they are aborted. Default 5000 for a client, 0 for a scope. */
  drainTimeout?: number
}

const DEFAULT_DRAIN_TIMEOUT = 5_000
const NO_INIT: MooringRequestInit = Object.freeze({})
const NO_SCOPE_OPTIONS: ScopeOptions = Object.freeze({})
const METHOD = /^[A-Za-z]+$/
let sendFromMiddleware: SendRequest

/** The method upper-cased, or null when it is no HTTP method name. */
function checkMethod(method: unknown): string | null {
  return typeof method === 'string' && METHOD.test(method) ? method.toUpperCase() : null
}

/**
 * A client, or a scope of one: the same request API either way. Its one job is ownership: the
 * pool (or given dispatcher), the calls in flight (in-flight.ts), closing. It is made by create.ts
 * and scope(); what a call sends is planned by config/plan.ts from the scope's config; how it runs
 * is call/call.ts; stats.ts reads its figures.
 */
export class MooringClient extends InFlight implements CallOwner {
  readonly #origins: Origins
  readonly #parent: MooringClient | null
  readonly #scope: ScopeConfig
  #dispatcher: Dispatcher | null
  #closing: Promise<void> | null = null
  #closeReason: Error | null = null
  /** Where an isolated scope was made, for the unclosed warning: its pool opens later, at the first request. */
  #site: Error | null = null

  /** @internal Use `createClient()` or `client.scope()`. */
  constructor(origins: Origins, parent: MooringClient | null, scope: ScopeConfig) {
    super(parent)
    this.#origins = origins
    this.#parent = parent
    this.#scope = scope
    this.#dispatcher = scope.isolatedPool !== null ? null : (scope.dispatcher ?? parent!.#dispatcher)
    // The scope listens on its signal only while it has calls in flight (becameBusy/becameIdle): a
    // long-lived signal shared by many scopes never left unclosed would otherwise keep one listener,
    // and so one scope, per scope ever made. An idle scope reads `signal.aborted` when asked.
    // Only for an isolated pool; a stack captured now is formatted only if the pool is ever opened.
    if (scope.isolatedPool !== null) this.#site = new Error()
    const signal = scope.signal
    if (signal?.aborted) this.#closeReason = new AbortError({ method: '*', url: '*' }, signal.reason)
  }

  /** @internal */
  protected becameBusy(): void {
    this.#scope.signal?.addEventListener('abort', this)
  }

  /** @internal */
  protected becameIdle(): void {
    this.#scope.signal?.removeEventListener('abort', this)
  }

  /** Takes note of an abort that came while this scope was idle, and so not listening. True when closed. */
  #closedBySignal(): boolean {
    const signal = this.#scope.signal
    if (signal === undefined || !signal.aborted) return false
    this.abort(signal.reason)
    return true
  }

  /** The dispatcher requests go through: the owned pool, the given transport, or an isolated scope's pool. */
  get dispatcher(): Dispatcher {
    return this.#dispatcher ?? this.#resolveDispatcher()
  }

  #resolveDispatcher(): Dispatcher {
    if (this.#dispatcher !== null) return this.#dispatcher
    const pool = this.#scope.isolatedPool
    if (pool !== null) {
      this.#dispatcher = createOwnedDispatcher(pool)
      trackUnclosed(this, 'scope with an isolated pool', this.#site ?? undefined)
      this.#site = null
    } else this.#dispatcher = this.#parent!.#resolveDispatcher()
    return this.#dispatcher
  }

  /** True once `close()` or `destroy()` was called here or on an ancestor, or the scope's signal fired. */
  get closed(): boolean {
    for (let c: MooringClient | null = this; c !== null; c = c.#parent) {
      if (c.#closing !== null || c.#closeReason !== null || c.#closedBySignal()) return true
    }
    return false
  }

  request(options: RequestOptions): Promise<MooringResponse> {
    const method = checkMethod(options.method ?? 'GET')
    if (method === null) {
      const error = new ConfigError('method', options.method, 'an HTTP method name')
      return this.#refused(String(options.method), options.path, error)
    }
    return this.#send(method, options.path, options, true)
  }

  get(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('GET', path, init, false)
  }
  head(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('HEAD', path, init, false)
  }
  options(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('OPTIONS', path, init, false)
  }
  post(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('POST', path, init, false)
  }
  put(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('PUT', path, init, false)
  }
  patch(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('PATCH', path, init, false)
  }
  delete(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('DELETE', path, init, false)
  }

  /**
   * The pages of a listing linked by `Link: <…>; rel="next"`, as an async iterator of responses,
   * `maxPages` at most (default 100), `deadline` holding across all of them.
   */
  paginate(path: string, options?: PaginateOptions): AsyncGenerator<MooringResponse, void, undefined> {
    return paginate(this, path, options)
  }

  /** The verbs pass method and path apart from `init`, so a call allocates no merged options object. */
  #send(method: string, path: string, init: MooringRequestInit | undefined, withTarget: boolean) {
    try {
      if (init === undefined) init = NO_INIT
      else checkRequestKeys(init, withTarget)
      // One field read when there is no middleware: the call below is the same as without the feature.
      const chain = this.#scope.middleware
      if (!chain.empty) return this.#sendThrough(chain, method, path, init)
      return this.#start(method, path, init, false)
    } catch (err) {
      return this.#refused(method, path, err)
    }
  }

  #sendThrough(chain: MiddlewareChain, method: string, path: string, init: MooringRequestInit) {
    const request = toMiddlewareRequest(this.#scope, this, sendFromMiddleware, method, path, init)
    return chain.run(request, init.raiseForStatus ?? this.#scope.raiseForStatus)
  }

  static {
    // The chain's last step reaches the client that made the request, with no public member for it.
    sendFromMiddleware = (request) => (request._client as MooringClient).#sendFinal(request)
  }

  #sendFinal(request: MooringRequest): Promise<MooringResponse> {
    const method = checkMethod(request.method)
    try {
      if (method === null) throw new ConfigError('request.method', request.method, 'an HTTP method name')
      const { url, init } = fromMiddlewareRequest(this.#scope, request)
      return this.#start(method, url, init, true)
    } catch (err) {
      return this.#refused(String(request.method), request.url, err)
    }
  }

  /**
   * A call refused before it started (closed client, bad option, refused path or header): rejected,
   * and reported to the error hook and `mooring:error` like any failed call, with no attempt made.
   */
  #refused(method: string, path: unknown, err: unknown): Promise<never> {
    const client = this.#scope.client
    if (err instanceof MooringError && observed(client.hooks, 'error')) {
      const url = err.url ?? (typeof path === 'string' ? redactUrl(path, client.shownQuery) : '')
      emit(client.hooks, 'error', { method, url, error: err, attempts: 0, retries: [], duration: 0 })
    }
    return Promise.reject(err)
  }

  #start(method: string, path: string, init: MooringRequestInit, final: boolean): Promise<MooringResponse> {
    const now = performance.now()
    const plan = planRequest(this.#scope, method, path, init, now, final)
    const closedError = this.#closedError(method, plan.origin, plan.path)
    if (closedError !== null) throw closedError
    const state = this.#origins.get(plan.origin)
    const dispatcher = this.#dispatcher ?? this.#resolveDispatcher()
    const call = new Call(this, dispatcher, routeTo(state, dispatcher, plan.origin), plan, state)
    this.trackCall(call, state)
    if (!this.takeSlot(this.#scope.maxConcurrent)) return this.#enqueue(call)
    return call.run(now)
  }

  #enqueue(call: Call): Promise<MooringResponse> {
    return this.waitForSlot().then(() => {
      const { method, origin, path } = call.plan
      const closedError = this.#closedError(method, origin, path)
      if (closedError === null) return call.run(performance.now())
      this._callSettled(call, Outcome.Failed)
      return this.#refused(method, undefined, closedError)
    })
  }

  /** @internal */
  _callSettled(call: Call, outcome: Outcome): void {
    this.untrackCall(call, outcome, this.#scope.maxConcurrent !== 0)
  }

  /** The error for a call to `origin` + `path` when this client or an ancestor is closed; the URL is built only then. */
  #closedError(method: string, origin: string, path: string): MooringError | null {
    for (let c: MooringClient | null = this; c !== null; c = c.#parent) {
      if (c.#closeReason === null && c.#closing === null && !c.#closedBySignal()) continue
      const request = { method, url: redactUrl(origin + path, this.#scope.client.shownQuery) }
      const what = c.#parent === null ? 'client' : 'scope'
      return c.#closeReason instanceof AbortError
        ? new AbortError(request, c.#closeReason.cause)
        : new ClientClosedError(what, request)
    }
    return null
  }

  /**
   * A cheap client for one unit of work (an inbound request): the same pool, its own headers, signal,
   * timeouts and deadline, its requests tracked so `close()` aborts whatever is left.
   */
  scope(options?: ScopeOptions): MooringClient {
    if (this.closed) throw new ClientClosedError(this.#parent === null ? 'client' : 'scope')
    // No options: the settings are this client's, derived once and shared by every such scope.
    if (options !== undefined)
      return new MooringClient(this.#origins, this, deriveScope(this.#scope, options))
    this.#scope.plainChild ??= deriveScope(this.#scope, NO_SCOPE_OPTIONS)
    return new MooringClient(this.#origins, this, this.#scope.plainChild)
  }

  /**
   * One kind of scope, its options validated once, opened many times with `factory.open(overrides?)`:
   * what a framework plugin opens per inbound request, with no option parsing per request.
   */
  prepareScope(options: ScopeOptions = {}): ScopeFactory {
    if (this.closed) throw new ClientClosedError(this.#parent === null ? 'client' : 'scope')
    const template = { ...deriveScope(this.#scope, options), prepared: { opened: 0, closed: 0 } }
    const origins = this.#origins
    const make = (scope: ScopeConfig) => new MooringClient(origins, this, scope)
    return new ScopeFactory(this, template, make, this.#parent === null ? 'client' : 'scope')
  }

  /** True for a scope with a pool of its own (`pool: 'isolated'`). */
  get isolated(): boolean {
    return this.#scope.isolatedPool !== null
  }

  /** The scope's signal fired. */
  handleEvent(): void {
    this.abort(this.#scope.signal?.reason)
  }

  /**
   * Aborts what is in flight here and below, and refuses what comes, with `AbortError`s whose
   * `cause` is `reason`: what a scope's signal does, without needing an AbortController.
   * `close()` still releases the scope (and an isolated pool) afterwards.
   */
  abort(reason?: unknown): void {
    if (this.#closeReason !== null) return
    const error = new AbortError({ method: '*', url: '*' }, reason)
    this.#closeReason = error
    this.abortInFlight(error.cause)
  }

  /**
   * Refuses new requests at once, lets in-flight ones finish for `drainTimeout` ms, aborts what is
   * left, and closes the pool this client owns (a transport it was given only with `closeTransport`).
   * Idempotent: every call returns the same promise.
   */
  close(options?: CloseOptions): Promise<void> {
    if (this.#closing !== null) return this.#closing
    let drainTimeout = this.#parent === null ? DEFAULT_DRAIN_TIMEOUT : 0
    // No default `= {}`: a request scope is closed once per request, and that would be an object each.
    if (options?.drainTimeout !== undefined) {
      try {
        drainTimeout = expectMs('drainTimeout', options.drainTimeout, true)
      } catch (err) {
        return Promise.reject(err)
      }
    }
    const prepared = this.#scope.prepared
    if (prepared !== null) prepared.closed++
    // The common end of a request scope: nothing in flight, no pool of its own. No async step needed.
    if (this.inFlightCount === 0 && !this.#scope.ownsDispatcher && this.#parent !== null) {
      this.#scope.signal?.removeEventListener('abort', this)
      this.#closing = RESOLVED
      return RESOLVED
    }
    this.#closing = this.#shutdown(drainTimeout)
    return this.#closing
  }

  /** Aborts everything in flight and closes at once. */
  destroy(): Promise<void> {
    if (this.#closing === null) return this.close({ drainTimeout: 0 })
    this.abortInFlight(new ScopeClosedReason(this.#parent === null ? 'client' : 'scope'))
    return this.#closing
  }

  async #shutdown(drainTimeout: number): Promise<void> {
    const scope = this.#scope
    scope.signal?.removeEventListener('abort', this)
    await this.waitForDrain(drainTimeout)
    if (this.inFlightCount > 0)
      this.abortInFlight(new ScopeClosedReason(this.#parent === null ? 'client' : 'scope'))
    untrackUnclosed(this)
    const closeTransport = this.#parent === null && scope.client.closeTransport
    const dispatcher = this.#dispatcher
    if (dispatcher !== null && (scope.ownsDispatcher || closeTransport)) await dispatcher.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Connections and requests, per origin: undici's pool figures and Mooring's counters (stats.ts). */
  stats(): ClientStats {
    return clientStats(this.#dispatcher, this.#origins, this.inFlightCount, this.#scope.client.cache)
  }

  /**
   * True for a client of any copy of @mooring/core (and for a stand-in that delegates to one, such
   * as @mooring/nest's ContextualClient), so checks hold across copies.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(MooringClient, CLIENT_BRAND, value)
  }
}
brand(MooringClient, CLIENT_BRAND)
