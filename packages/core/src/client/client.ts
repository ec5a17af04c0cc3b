import { randomUUID } from 'node:crypto'
import type { Dispatcher } from 'undici'
import { type BodyInput, type PreparedBody, prepareBody } from '../config/body.js'
import { brand, CLIENT_BRAND, isBranded } from '../brand.js'
import { Call, type CallOwner, type CallRetry, Outcome } from '../call/call.js'
import { createOwnedDispatcher, poolOf } from './dispatcher.js'
import {
  AbortError,
  ClientClosedError,
  type RetryRecord,
  ConfigError,
  MooringError,
  RequestRejectedError,
  ScopeClosedReason,
} from '../errors.js'
import {
  configHeaders,
  configQuery,
  type HeaderRecord,
  serializeQuery,
  toHeaderRecord,
  withoutDefaultHeaders,
  withoutDefaultQuery,
} from '../config/headers.js'
import {
  type ClientOptions,
  type HeadersInput,
  normalizeClientOptions,
  normalizeIdempotencyKey,
  normalizeMaxResponseSize,
  normalizeRedirects,
  normalizeTimeouts,
  type QueryInput,
  type RequestTimeoutOptions,
} from '../config/options.js'
import { emit, observed } from '../observe/instrument.js'
import type { MiddlewareChain } from '../middleware/chain.js'
import { MooringRequest, type SendRequest } from '../middleware/request.js'
import { redactUrl } from '../observe/redact.js'
import { FetchDispatcher } from '../runtime/fetch-dispatcher.js'
import type { MooringResponse } from '../call/response.js'
import { IDEMPOTENT_METHODS, normalizeRetry, type RetryOptions, type RetryPolicy } from '../policy/retry.js'
import {
  originState,
  createRoot,
  deriveScopeSettings,
  isAbortSignal,
  REQUEST_TIMEOUT_KEYS,
  type Root,
  scopeMiddleware,
  type ScopeOptions,
  type Settings,
} from '../config/scope.js'
import { type ClientStats, type OriginState, readPoolStats } from '../observe/stats.js'
import { appendQuery, isBasePath, resolveTarget, toBase } from '../config/target.js'
import { checkRequestKeys } from '../config/request-keys.js'
import { ScopeFactory } from './scope-factory.js'
import { trackUnclosed, untrackUnclosed } from './unclosed.js'
import { expectMs } from '../config/validate.js'
import { hedgeMiddleware } from '../features/hedge.js'
import { type PaginateOptions, paginate } from '../features/paginate.js'
import { withDefaultHeaders } from '../features/user-agent.js'
import type { Middleware } from '../middleware/types.js'

export interface RequestOptions {
  method?: string
  /** A path appended to `baseUrl`'s path, or an absolute URL (to the base origin, or an allowed one). */
  path: string
  query?: QueryInput
  headers?: HeadersInput
  body?: BodyInput
  /** Serialised with JSON.stringify; sets `content-type: application/json`. */
  json?: unknown
  signal?: AbortSignal
  timeout?: RequestTimeoutOptions
  raiseForStatus?: boolean
  retry?: RetryOptions | false
  /** `'auto'` sends one generated key on every attempt; or set the `idempotency-key` header yourself. */
  idempotencyKey?: 'auto' | false
  /** Bytes a response body may have; `Infinity` or `false` for no limit. */
  maxResponseSize?: number | false
  followRedirects?: boolean | number
}

/** A call's options after its path, as `client.get(path, init)` takes them (not the DOM's `RequestInit`). */
export type MooringRequestInit = Omit<RequestOptions, 'path' | 'method'>

export interface CloseOptions {
  /** How long in-flight requests may run before they are aborted. Default 5000 for a client, 0 for a scope. */
  drainTimeout?: number
}

export type { ScopeOptions }

const DEFAULT_DRAIN_TIMEOUT = 5_000
const EMPTY_HEADERS: HeaderRecord = Object.freeze({}) as HeaderRecord
const NO_INIT: MooringRequestInit = Object.freeze({})
const RESOLVED: Promise<void> = Promise.resolve()
const NO_RETRIES: readonly RetryRecord[] = Object.freeze([])
const UNWRITABLE_PATH = /[^\u0021-\u00ff]/
const METHOD = /^[A-Za-z]+$/
let sendFromMiddleware: SendRequest

/** True when the call gets a generated Idempotency-Key: asked for, and the method is not retried without one. */
function wantsAutoKey(
  settings: Settings,
  init: MooringRequestInit,
  method: string,
  retry: RetryPolicy | null = init.retry === undefined
    ? settings.retry
    : normalizeRetry('retry', init.retry, settings.retry),
): boolean {
  const auto =
    init.idempotencyKey === undefined
      ? settings.autoIdempotencyKey
      : normalizeIdempotencyKey('idempotencyKey', init.idempotencyKey)
  return auto === true && !(retry?.methods ?? IDEMPOTENT_METHODS).has(method)
}

/** The method upper-cased, or null when it is no HTTP method name. */
function checkMethod(method: unknown): string | null {
  return typeof method === 'string' && METHOD.test(method) ? method.toUpperCase() : null
}

/**
 * A client, or a scope of one: the same request API either way. A root client owns a dispatcher
 * (or was given one); a scope sends through its parent's dispatcher unless it asked for an isolated
 * pool, and carries its own default headers, signal, timeouts, deadline and retry policy.
 */
export class MooringClient implements CallOwner {
  readonly #root: Root
  readonly #parent: MooringClient | null
  readonly #settings: Settings
  #dispatcher: Dispatcher | null
  /** How a plain call to the base origin retries: the same for every such call, made once. */
  #homeRetry: CallRetry | null = null
  /** Calls made through this client directly. */
  /** Head of the list (through `Call._ownerNext`) of calls in flight from this client directly. */
  #calls: Call | null = null
  /** Scopes below this one with calls in flight; an idle scope is not referenced, so a forgotten one is garbage. */
  /** Head of the list (through `#busyNext`) of scopes below with calls in flight. Lists, not Sets: see deadlines.ts. */
  #busyChildren: MooringClient | null = null
  #busyPrev: MooringClient | null = null
  #busyNext: MooringClient | null = null
  /** Calls in flight here and in every scope below. */
  #active = 0
  #running = 0
  #waiting: Array<() => void> | null = null
  #closing: Promise<void> | null = null
  #drained: (() => void) | null = null
  #closeReason: Error | null = null
  /** Where an isolated scope was made, for the unclosed warning: its pool opens later, at the first request. */
  #site: Error | null = null

  /** @internal Use `createClient()` or `client.scope()`. */
  constructor(root: Root, parent: MooringClient | null, settings: Settings) {
    this.#root = root
    this.#parent = parent
    this.#settings = settings
    this.#dispatcher = settings.isolatedPool !== null ? null : (settings.dispatcher ?? parent!.#dispatcher)
    // The scope listens on its signal only while it has calls in flight (#track, _callSettled): a
    // long-lived signal shared by many scopes never left unclosed would otherwise keep one listener,
    // and so one scope, per scope ever made. An idle scope reads `signal.aborted` when asked.
    // Only for an isolated pool; a stack captured now is formatted only if the pool is ever opened.
    if (settings.isolatedPool !== null) this.#site = new Error()
    const signal = settings.signal
    if (signal?.aborted) this.#closeReason = new AbortError({ method: '*', url: '*' }, signal.reason)
  }

  /** Takes note of an abort that came while this scope was idle, and so not listening. True when closed. */
  #closedBySignal(): boolean {
    const signal = this.#settings.signal
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
    const pool = this.#settings.isolatedPool
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
      return this.#refused(
        String(options.method),
        options.path,
        new ConfigError('method', options.method, 'an HTTP method name'),
      )
    }
    return this.#send(method, options.path, options, true)
  }

  get(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('GET', path, init)
  }
  head(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('HEAD', path, init)
  }
  options(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('OPTIONS', path, init)
  }
  post(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('POST', path, init)
  }
  put(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('PUT', path, init)
  }
  patch(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('PATCH', path, init)
  }
  delete(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#send('DELETE', path, init)
  }

  /**
   * The pages of a listing linked by `Link: <…>; rel="next"`, as an async iterator of responses,
   * `maxPages` at most (default 100), `deadline` holding across all of them.
   */
  paginate(path: string, options?: PaginateOptions): AsyncGenerator<MooringResponse, void, undefined> {
    return paginate(this, path, options)
  }

  /** The verbs pass method and path apart from `init`, so a call allocates no merged options object. */
  #send(
    method: string,
    path: string,
    init: MooringRequestInit | undefined,
    withTarget = false,
  ): Promise<MooringResponse> {
    if (init !== undefined) {
      try {
        checkRequestKeys(init, withTarget)
      } catch (err) {
        return this.#refused(method, path, err)
      }
    }
    // One field read when there is no middleware: the call below is the same as without the feature.
    const chain = this.#settings.middleware
    if (chain !== null) return this.#sendThrough(chain, method, path, init ?? NO_INIT)
    try {
      return this.#start(method, path, init ?? NO_INIT, false)
    } catch (err) {
      return this.#refused(method, path, err)
    }
  }

  #sendThrough(
    chain: MiddlewareChain,
    method: string,
    path: string,
    init: MooringRequestInit,
  ): Promise<MooringResponse> {
    let request: MooringRequest
    try {
      request = this.#toRequest(method, path, init)
    } catch (err) {
      return this.#refused(method, path, err)
    }
    return chain.run(request, init.raiseForStatus ?? this.#settings.raiseForStatus)
  }

  /**
   * The request middleware sees, as it would be sent: absolute URL with the default query and its
   * own, the default headers under its own, a json body serialised, an automatic idempotency key.
   */
  #toRequest(method: string, path: string, init: MooringRequestInit): MooringRequest {
    if (typeof path !== 'string') throw new ConfigError('path', path, 'a string')
    const settings = this.#settings
    const base = this.#root.base
    const shownQuery = this.#root.options.shownQuery
    const target = resolveTarget(base, path)
    if (typeof target === 'string') {
      throw new RequestRejectedError({ method, url: redactUrl(path, shownQuery) }, target)
    }
    const query = target.home ? serializeQuery(init.query, settings.query) : serializeQuery(init.query)
    const url = target.origin + appendQuery(target.path, query)
    const headers: HeaderRecord = target.home || base === undefined ? { ...settings.headers } : {}
    if (init.headers !== undefined) {
      if (init.headers === null || typeof init.headers !== 'object')
        throw new ConfigError('headers', init.headers, 'an object of headers')
      toHeaderRecord(
        init.headers,
        (problem) => {
          throw new RequestRejectedError({ method, url: redactUrl(url, shownQuery) }, problem)
        },
        headers,
      )
    }
    let body = init.body
    if (init.json !== undefined) {
      const prepared = prepareBody(init.body, init.json, true)
      if (typeof prepared === 'string') throw new ConfigError('json', init.json, prepared)
      body = prepared.body as string
      headers['content-type'] ??= prepared.contentType!
    }
    // Made here, so a middleware that calls next() again sends the same key: the same operation.
    if (wantsAutoKey(settings, init, method) && headers['idempotency-key'] === undefined) {
      headers['idempotency-key'] = randomUUID()
    }
    return new MooringRequest(this, sendFromMiddleware, method, url, headers, body, init)
  }

  static {
    // Module-private access for the chain's last step, so the class shows no extra member.
    sendFromMiddleware = (request) => (request._client as MooringClient).#sendPlanned(request)
  }

  /** The last step of a middleware chain: the request, as the middleware left it, sent. */
  #sendPlanned(request: MooringRequest): Promise<MooringResponse> {
    const method = checkMethod(request.method)
    if (method === null) {
      return this.#refused(
        String(request.method),
        request.url,
        new ConfigError('request.method', request.method, 'an HTTP method name'),
      )
    }
    const settings = this.#settings
    const base = this.#root.base
    let url = request.url
    let headers = request.headers
    if (base !== undefined && (settings.query !== '' || settings.headers !== EMPTY_HEADERS)) {
      // Moved off the base origin by a middleware: the defaults it carried stay home, as they do
      // for any call; what the middleware set itself goes.
      const target = typeof url === 'string' ? resolveTarget(base, url) : null
      if (target !== null && typeof target !== 'string' && !target.home) {
        headers = withoutDefaultHeaders(headers, settings.headers)
        url = withoutDefaultQuery(url, settings.query)
      }
    }
    const init: MooringRequestInit = {
      ...request.init,
      query: undefined,
      headers,
      body: request.body,
      json: undefined,
      // Applied once, after the outermost middleware: middleware sees every status as a response.
      raiseForStatus: false,
    }
    try {
      return this.#start(method, url, init, true)
    } catch (err) {
      return this.#refused(method, url, err)
    }
  }

  /**
   * A call refused before it started (closed client, bad option, refused path or header): rejected,
   * and reported to the error hook and `mooring:error` like any failed call, with no attempt made.
   */
  #refused(method: string, path: unknown, err: unknown): Promise<never> {
    const hooks = this.#root.hooks
    if (err instanceof MooringError && observed(hooks, 'error')) {
      emit(hooks, 'error', {
        method,
        url: err.url ?? (typeof path === 'string' ? redactUrl(path, this.#root.options.shownQuery) : ''),
        error: err,
        attempts: 0,
        retries: NO_RETRIES,
        duration: 0,
      })
    }
    return Promise.reject(err)
  }

  /** `final`: the request came through middleware, its headers and query already hold the defaults. */
  #start(
    method: string,
    path: string,
    options: MooringRequestInit,
    final: boolean,
  ): Promise<MooringResponse> {
    const settings = this.#settings
    const root = this.#root
    if (typeof path !== 'string') throw new ConfigError('path', path, 'a string')
    const base = root.base
    let origin: string
    let targetPath: string
    let home: boolean
    if (base !== undefined && isBasePath(path)) {
      // The hot path: a path under the base, no URL parsed, no Target allocated.
      origin = base.origin
      targetPath = base.prefix === '' ? path : base.prefix + path
      home = true
    } else {
      const target = resolveTarget(base, path)
      if (typeof target === 'string') {
        throw new RequestRejectedError({ method, url: redactUrl(path, root.options.shownQuery) }, target)
      }
      origin = target.origin
      targetPath = target.path
      home = target.home
      const allowed = root.options.allowedOrigins
      if (!home && base !== undefined && allowed !== '*' && !allowed?.has(origin)) {
        throw new RequestRejectedError(
          { method, url: redactUrl(origin + targetPath, root.options.shownQuery) },
          `the origin ${origin} is not the base origin ${base.origin} nor in allowedOrigins`,
        )
      }
    }
    const query =
      home && !final ? serializeQuery(options.query, settings.query) : serializeQuery(options.query)
    const requestPath = appendQuery(targetPath, query)
    // What undici would refuse to write (a space, a control character, one past U+00FF) is refused
    // here on every transport, before anything is sent.
    if (UNWRITABLE_PATH.test(requestPath)) {
      throw new RequestRejectedError(
        { method, url: redactUrl(origin + requestPath, root.options.shownQuery) },
        'the path has characters that cannot be sent (encode them)',
      )
    }

    const closedError = this.#closedError(method, origin, requestPath)
    if (closedError !== null) throw closedError

    const hasJson = options.json !== undefined
    let body: PreparedBody | undefined
    if (hasJson || (options.body !== undefined && options.body !== null)) {
      const prepared = prepareBody(options.body, options.json, hasJson)
      if (typeof prepared === 'string')
        throw new ConfigError(hasJson ? 'json' : 'body', options.body, prepared)
      body = prepared
    }

    let retry = settings.retry
    if (options.retry !== undefined) retry = normalizeRetry('retry', options.retry, retry)
    const autoKey = wantsAutoKey(settings, options, method, retry)

    // The client's defaults go to the base origin only; elsewhere only what this request names.
    let headers = !final && (home || base === undefined) ? settings.headers : EMPTY_HEADERS
    if (options.headers !== undefined || body?.contentType !== undefined || autoKey) {
      headers = { ...headers }
      if (options.headers !== undefined) {
        if (options.headers === null || typeof options.headers !== 'object')
          throw new ConfigError('headers', options.headers, 'an object of headers')
        toHeaderRecord(
          options.headers,
          (problem) => {
            throw new RequestRejectedError(
              { method, url: redactUrl(origin + requestPath, root.options.shownQuery) },
              problem,
            )
          },
          headers,
        )
      }
      if (body?.contentType !== undefined && headers['content-type'] === undefined) {
        headers['content-type'] = body.contentType
      }
      if (autoKey && headers['idempotency-key'] === undefined) headers['idempotency-key'] = randomUUID()
    }

    let timeouts = settings.timeouts
    if (options.timeout !== undefined) {
      timeouts = normalizeTimeouts('timeout', options.timeout, timeouts, REQUEST_TIMEOUT_KEYS)
    }
    const signal = options.signal
    if (signal !== undefined) {
      if (!isAbortSignal(signal)) throw new ConfigError('signal', signal, 'an AbortSignal')
      if (signal.aborted)
        throw new AbortError(
          { method, url: redactUrl(origin + requestPath, root.options.shownQuery) },
          signal.reason,
        )
    }

    const now = performance.now()
    let totalDeadline = now + timeouts.total
    if (settings.deadline < totalDeadline) totalDeadline = settings.deadline

    const state = originState(root, origin)
    const idempotent = (retry?.methods ?? IDEMPOTENT_METHODS).has(method)
    let callRetry: CallRetry
    if (home && idempotent && body === undefined && retry === settings.retry) {
      // The common call (a GET to the base origin with the client's policy) shares one frozen plan.
      callRetry = this.#homeRetry ??= Object.freeze({
        policy: retry,
        budget: retry === null ? null : state.budget,
        idempotent: true,
        replayable: true,
        breaker: state.breaker,
      })
    } else {
      callRetry = {
        policy: retry,
        budget: retry === null ? null : state.budget,
        idempotent: idempotent || headers['idempotency-key'] !== undefined,
        replayable: body === undefined || body.replayable,
        breaker: state.breaker,
      }
    }
    const dispatchOptions: Dispatcher.DispatchOptions = {
      origin,
      path: requestPath,
      method: method as Dispatcher.HttpMethod,
      headers,
      body: body === undefined ? null : (body.body as Dispatcher.DispatchOptions['body']),
      headersTimeout: timeouts.headers,
      bodyTimeout: timeouts.body,
    }
    const call = new Call(
      this,
      this.#dispatcher ?? this.#resolveDispatcher(),
      dispatchOptions,
      timeouts,
      totalDeadline,
      options.raiseForStatus ?? settings.raiseForStatus,
      signal,
      callRetry,
      root.hooks,
    )
    call.maxResponseSize =
      options.maxResponseSize === undefined
        ? settings.maxResponseSize
        : normalizeMaxResponseSize('maxResponseSize', options.maxResponseSize)!
    call.maxRedirects =
      options.followRedirects === undefined
        ? settings.maxRedirects
        : normalizeRedirects('followRedirects', options.followRedirects)!
    if (call.maxRedirects !== 0) call.requestHeaders = options.headers
    call.shownQuery = root.options.shownQuery
    call.limiter = root.options.rateLimit
    this.#track(call, state)
    if (settings.maxConcurrent !== 0) {
      if (this.#running >= settings.maxConcurrent) return this.#enqueue(call)
      this.#running++
    }
    return call.run(now)
  }

  #enqueue(call: Call): Promise<MooringResponse> {
    return new Promise<void>((resolve) => {
      if (this.#waiting === null) this.#waiting = []
      this.#waiting.push(resolve)
    }).then(() => {
      this.#running++
      const closedError = this.#closedError(
        call.options.method,
        String(call.options.origin),
        call.options.path,
      )
      if (closedError !== null) {
        this._callSettled(call, Outcome.Failed)
        return this.#refused(call.options.method, undefined, closedError)
      }
      return call.run(performance.now())
    })
  }

  #track(call: Call, state: OriginState): void {
    call._owned = true
    call._ownerNext = this.#calls
    if (this.#calls !== null) this.#calls._ownerPrev = call
    this.#calls = call
    for (let c: MooringClient = this; ; ) {
      const parent = c.#parent
      if (c.#active++ === 0 && parent !== null) {
        c.#settings.signal?.addEventListener('abort', c)
        c.#busyPrev = null
        c.#busyNext = parent.#busyChildren
        if (parent.#busyChildren !== null) parent.#busyChildren.#busyPrev = c
        parent.#busyChildren = c
      }
      if (parent === null) break
      c = parent
    }
    state.inFlight++
    call.counters = state
  }

  /** @internal */
  _callSettled(call: Call, outcome: Outcome): void {
    if (!call._owned) return
    call._owned = false
    const prevCall = call._ownerPrev
    const nextCall = call._ownerNext
    if (prevCall !== null) prevCall._ownerNext = nextCall
    else this.#calls = nextCall
    if (nextCall !== null) nextCall._ownerPrev = prevCall
    call._ownerPrev = null
    call._ownerNext = null
    const counters = call.counters!
    counters.inFlight--
    if (outcome === Outcome.Done) counters.done++
    else if (outcome === Outcome.Failed) counters.failed++
    if (this.#settings.maxConcurrent !== 0) {
      this.#running--
      const next = this.#waiting?.shift()
      if (next !== undefined) next()
    }
    for (let c: MooringClient = this; ; ) {
      const parent = c.#parent
      if (--c.#active === 0) {
        if (parent !== null) {
          c.#settings.signal?.removeEventListener('abort', c)
          const prev = c.#busyPrev
          const next = c.#busyNext
          if (prev !== null) prev.#busyNext = next
          else parent.#busyChildren = next
          if (next !== null) next.#busyPrev = prev
          c.#busyPrev = null
          c.#busyNext = null
        }
        c.#drained?.()
      }
      if (parent === null) break
      c = parent
    }
  }

  /** The error for a call to `origin` + `path` when this client or an ancestor is closed; the URL is built only then. */
  #closedError(method: string, origin: string, path: string): MooringError | null {
    for (let c: MooringClient | null = this; c !== null; c = c.#parent) {
      if (c.#closeReason === null && c.#closing === null && !c.#closedBySignal()) continue
      const request = { method, url: redactUrl(origin + path, this.#root.options.shownQuery) }
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
  scope(options: ScopeOptions = {}): MooringClient {
    if (this.closed) throw new ClientClosedError(this.#parent === null ? 'client' : 'scope')
    const settings = deriveScopeSettings(this.#root, this.#settings, options)
    return new MooringClient(this.#root, this, settings)
  }

  /**
   * One kind of scope, its options validated once, opened many times with `factory.open(overrides?)`:
   * what a framework plugin opens per inbound request, with no option parsing per request.
   */
  prepareScope(options: ScopeOptions = {}): ScopeFactory {
    if (this.closed) throw new ClientClosedError(this.#parent === null ? 'client' : 'scope')
    const template = {
      ...deriveScopeSettings(this.#root, this.#settings, options),
      prepared: { opened: 0, closed: 0 },
    }
    const root = this.#root
    return new ScopeFactory(
      this,
      template,
      (settings) => new MooringClient(root, this, settings),
      this.#parent === null ? 'client' : 'scope',
    )
  }

  /** True for a scope with a pool of its own (`pool: 'isolated'`). */
  get isolated(): boolean {
    return this.#settings.isolatedPool !== null
  }

  /** The scope's signal fired. */
  handleEvent(): void {
    this.abort(this.#settings.signal?.reason)
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
    this.#abortAll(error.cause)
  }

  #abortAll(cause: unknown): void {
    for (let call = this.#calls; call !== null; ) {
      // Read first: aborting a call may unlink it.
      const next = call._ownerNext
      call.abort(new AbortError(call.info, cause))
      call = next
    }
    for (let child = this.#busyChildren; child !== null; ) {
      const next = child.#busyNext
      child.#abortAll(cause)
      child = next
    }
    if (this.#waiting !== null) {
      // Queued behind maxConcurrent: let them run into the closed check and fail at once.
      const waiting = this.#waiting
      this.#waiting = null
      for (const next of waiting) next()
    }
  }

  /**
   * Refuses new requests at once, lets in-flight ones finish for `drainTimeout` ms, aborts what is
   * left, and closes the pool this client owns (a transport it was given only with `closeTransport`).
   * Idempotent: every call returns the same promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.#closing !== null) return this.#closing
    let drainTimeout = this.#parent === null ? DEFAULT_DRAIN_TIMEOUT : 0
    if (options.drainTimeout !== undefined) {
      try {
        drainTimeout = expectMs('drainTimeout', options.drainTimeout, true)
      } catch (err) {
        return Promise.reject(err)
      }
    }
    const prepared = this.#settings.prepared
    if (prepared !== null) prepared.closed++
    // The common end of a request scope: nothing in flight, no pool of its own. No async step needed.
    if (this.#active === 0 && !this.#settings.ownsDispatcher && this.#parent !== null) {
      this.#settings.signal?.removeEventListener('abort', this)
      this.#closing = RESOLVED
      return RESOLVED
    }
    this.#closing = this.#shutdown(drainTimeout)
    return this.#closing
  }

  /** Aborts everything in flight and closes at once. */
  destroy(): Promise<void> {
    if (this.#closing !== null) {
      this.#abortAll(new ScopeClosedReason(this.#parent === null ? 'client' : 'scope'))
      return this.#closing
    }
    return this.close({ drainTimeout: 0 })
  }

  async #shutdown(drainTimeout: number): Promise<void> {
    const settings = this.#settings
    settings.signal?.removeEventListener('abort', this)
    if (this.#active > 0 && drainTimeout > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainTimeout)
        this.#drained = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.#drained = null
    }
    if (this.#active > 0) this.#abortAll(new ScopeClosedReason(this.#parent === null ? 'client' : 'scope'))
    untrackUnclosed(this)
    const closeTransport = this.#parent === null && this.#root.options.closeTransport
    const dispatcher = this.#dispatcher
    if (dispatcher !== null && (settings.ownsDispatcher || closeTransport)) await dispatcher.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Connections and requests, per origin: undici's pool figures and Mooring's counters. */
  stats(): ClientStats {
    const root = this.#root
    const pools = this.#dispatcher === null ? {} : readPoolStats(poolOf(this.#dispatcher))
    const origins: ClientStats['origins'] = {}
    for (const [origin, c] of root.states) {
      origins[origin] = {
        ...pools[origin],
        inFlight: c.inFlight,
        done: c.done,
        failed: c.failed,
        retries: { ...c.retries },
        budgetRefusals: c.budgetRefusals,
      }
    }
    for (const origin of Object.keys(pools)) {
      origins[origin] ??= {
        ...pools[origin],
        inFlight: 0,
        done: 0,
        failed: 0,
        retries: {},
        budgetRefusals: 0,
      }
    }
    const cache = root.options.cache
    return cache === null
      ? { inFlight: this.#active, origins }
      : { inFlight: this.#active, origins, cache: cache.stats() }
  }

  /**
   * True for a client of any copy of @mooring/core (and for a stand-in that delegates to one, such
   * as @mooring/nest's ContextualClient), so checks hold across copies.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(MooringClient, CLIENT_BRAND, value)
  }
}
brand(MooringClient, CLIENT_BRAND)

/**
 * Creates a client that owns a connection pool (or sends through `transport`). Close it at shutdown.
 * Where undici's Agent cannot run (Bun, Cloudflare Workers) it sends through the runtime's `fetch`.
 */
/**
 * The app's middleware, then the built-in pieces that are on, innermost last: hedging (each hedge a
 * whole call), then cookies (each hedge gets the jar's cookies and feeds it).
 */
function withBuiltInMiddleware(root: Root): readonly Middleware[] {
  const { middleware, hedge, cookies } = root.options
  if (hedge === null && cookies === null) return middleware
  const list = [...middleware]
  if (hedge !== null) {
    list.push(hedgeMiddleware(hedge, (origin) => originState(root, origin)))
  }
  if (cookies !== null) list.push(cookies)
  return list
}

export function createClient(options: ClientOptions = {}): MooringClient {
  const normalized = normalizeClientOptions(options)
  const input = options as Record<string, unknown>
  const owns = normalized.transport === undefined
  const root = createRoot(normalized, toBase(normalized.base))
  const settings: Settings = {
    dispatcher:
      normalized.transport ??
      (normalized.fetchPath === null ? createOwnedDispatcher(normalized) : new FetchDispatcher()),
    isolatedPool: null,
    ownsDispatcher: owns,
    headers: withDefaultHeaders(
      input.headers === undefined ? EMPTY_HEADERS : configHeaders('headers', input.headers),
      input.headers,
      normalized.decompress && owns && normalized.fetchPath === null,
    ),
    query: input.query === undefined ? '' : configQuery('query', input.query),
    timeouts: normalized.timeouts,
    deadline: Number.POSITIVE_INFINITY,
    signal: undefined,
    raiseForStatus: normalized.raiseForStatus,
    maxConcurrent: 0,
    retry: normalized.retry,
    autoIdempotencyKey: normalized.autoIdempotencyKey,
    maxResponseSize: normalized.maxResponseSize,
    maxRedirects: normalized.maxRedirects,
    middleware: scopeMiddleware(null, withBuiltInMiddleware(root)),
    prepared: null,
  }
  const client = new MooringClient(root, null, settings)
  if (owns) trackUnclosed(client, 'client')
  return client
}
