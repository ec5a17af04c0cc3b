import type { Dispatcher } from 'undici'
import { type PreparedBody, prepareBody } from './body.js'
import { Call, type CallOwner } from './call.js'
import { createOwnedDispatcher } from './dispatcher.js'
import {
  AbortError,
  ClientClosedError,
  ConfigError,
  MooringError,
  RequestRejectedError,
  ScopeClosedReason,
} from './errors.js'
import { configHeaders, configQuery, type HeaderRecord, serializeQuery, toHeaderRecord } from './headers.js'
import {
  type ClientOptions,
  expectBoolean,
  expectMs,
  expectObject,
  expectPositiveInt,
  type HeadersInput,
  type LimitOptions,
  type NormalizedClientOptions,
  type NormalizedLimits,
  type NormalizedTimeouts,
  normalizeClientOptions,
  normalizeLimits,
  normalizeTimeouts,
  normalizeTls,
  type QueryInput,
  type RequestTimeoutOptions,
  type TimeoutOptions,
  type TlsOptions,
} from './options.js'
import { redactUrl } from './redact.js'
import type { MooringResponse } from './response.js'
import { type ClientStats, OriginCounters, readPoolStats } from './stats.js'
import { appendQuery, type Base, resolveTarget, toBase } from './target.js'
import { trackUnclosed, untrackUnclosed } from './unclosed.js'

export interface RequestOptions {
  method?: string
  /** A path appended to `baseUrl`'s path, or an absolute URL (to the base origin, or an allowed one). */
  path: string
  query?: QueryInput
  headers?: HeadersInput
  body?: unknown
  /** Serialised with JSON.stringify; sets `content-type: application/json`. */
  json?: unknown
  signal?: AbortSignal
  timeout?: RequestTimeoutOptions
  raiseForStatus?: boolean
}

export type RequestInit = Omit<RequestOptions, 'path' | 'method'>

export interface ScopeOptions {
  headers?: HeadersInput
  query?: QueryInput
  /** Aborts the scope: its in-flight requests, and any made after, fail with `AbortError`. */
  signal?: AbortSignal
  timeout?: RequestTimeoutOptions
  /** An absolute time (ms since the epoch) no request of this scope may run past. */
  deadline?: number
  /** Requests of this scope in flight at once; more wait in the scope. */
  maxConcurrent?: number
  raiseForStatus?: boolean
  /** `'isolated'` gives the scope a pool of its own, closed with it. Default: the parent's pool. */
  pool?: 'shared' | 'isolated'
  /** For an isolated pool. */
  limits?: LimitOptions
  /** For an isolated pool. */
  tls?: TlsOptions
  /** For an isolated pool: its connect timeout. */
  connectTimeout?: number
}

export interface CloseOptions {
  /** How long in-flight requests may run before they are aborted. Default 5000 for a client, 0 for a scope. */
  drainTimeout?: number
}

const SCOPE_KEYS = [
  'headers',
  'query',
  'signal',
  'timeout',
  'deadline',
  'maxConcurrent',
  'raiseForStatus',
  'pool',
  'limits',
  'tls',
  'connectTimeout',
]
const REQUEST_TIMEOUT_KEYS = ['headers', 'body', 'pool', 'total']
const DEFAULT_DRAIN_TIMEOUT = 5_000

/** What every client in one tree (a root client and its scopes) shares. */
interface Root {
  readonly options: NormalizedClientOptions
  readonly base: Base | undefined
  readonly counters: Map<string, OriginCounters>
  readonly baseCounters: OriginCounters | undefined
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as AbortSignal).aborted === 'boolean' &&
    typeof (value as AbortSignal).addEventListener === 'function'
  )
}

/**
 * A client, or a scope of one: the same request API either way. A root client owns a dispatcher
 * (or was given one); a scope sends through its parent's dispatcher unless it asked for an isolated
 * pool, and carries its own default headers, signal, timeouts and deadline.
 */
export class MooringClient implements CallOwner {
  readonly #root: Root
  readonly #parent: MooringClient | null
  readonly #dispatcher: Dispatcher
  readonly #ownsDispatcher: boolean
  readonly #headers: HeaderRecord
  readonly #query: string
  readonly #timeouts: NormalizedTimeouts
  readonly #deadline: number
  readonly #signal: AbortSignal | undefined
  readonly #raiseForStatus: boolean
  readonly #maxConcurrent: number
  /** Calls made through this client directly. */
  readonly #calls = new Set<Call>()
  /** Scopes below this one with calls in flight; an idle scope is not referenced, so a forgotten one is garbage. */
  readonly #busyChildren = new Set<MooringClient>()
  /** Calls in flight here and in every scope below. */
  #active = 0
  #running = 0
  #waiting: Array<() => void> | null = null
  #closing: Promise<void> | null = null
  #drained: (() => void) | null = null
  #closeReason: Error | null = null

  /** @internal Use `createClient()` or `client.scope()`. */
  constructor(
    root: Root,
    parent: MooringClient | null,
    dispatcher: Dispatcher,
    ownsDispatcher: boolean,
    headers: HeaderRecord,
    query: string,
    timeouts: NormalizedTimeouts,
    deadline: number,
    signal: AbortSignal | undefined,
    raiseForStatus: boolean,
    maxConcurrent: number,
  ) {
    this.#root = root
    this.#parent = parent
    this.#dispatcher = dispatcher
    this.#ownsDispatcher = ownsDispatcher
    this.#headers = headers
    this.#query = query
    this.#timeouts = timeouts
    this.#deadline = deadline
    this.#signal = signal
    this.#raiseForStatus = raiseForStatus
    this.#maxConcurrent = maxConcurrent
    if (signal !== undefined) {
      if (signal.aborted) this.#closeReason = new AbortError({ method: '*', url: '*' }, signal.reason)
      else signal.addEventListener('abort', this)
    }
  }

  /** The dispatcher requests go through: the owned pool, the given transport, or an isolated scope's pool. */
  get dispatcher(): Dispatcher {
    return this.#dispatcher
  }

  /** True once `close()` or `destroy()` was called here or on an ancestor. */
  get closed(): boolean {
    for (let c: MooringClient | null = this; c !== null; c = c.#parent) {
      if (c.#closing !== null || c.#closeReason !== null) return true
    }
    return false
  }

  request(options: RequestOptions): Promise<MooringResponse> {
    try {
      return this.#start(options)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  get(path: string, init?: RequestInit): Promise<MooringResponse> {
    return this.request(init === undefined ? { method: 'GET', path } : { ...init, method: 'GET', path })
  }
  head(path: string, init?: RequestInit): Promise<MooringResponse> {
    return this.request({ ...init, method: 'HEAD', path })
  }
  options(path: string, init?: RequestInit): Promise<MooringResponse> {
    return this.request({ ...init, method: 'OPTIONS', path })
  }
  post(path: string, init?: RequestInit): Promise<MooringResponse> {
    return this.request({ ...init, method: 'POST', path })
  }
  put(path: string, init?: RequestInit): Promise<MooringResponse> {
    return this.request({ ...init, method: 'PUT', path })
  }
  patch(path: string, init?: RequestInit): Promise<MooringResponse> {
    return this.request({ ...init, method: 'PATCH', path })
  }
  delete(path: string, init?: RequestInit): Promise<MooringResponse> {
    return this.request({ ...init, method: 'DELETE', path })
  }

  #start(options: RequestOptions): Promise<MooringResponse> {
    const method = options.method === undefined ? 'GET' : options.method.toUpperCase()
    const path = options.path
    if (typeof path !== 'string') throw new ConfigError('path', path, 'a string')
    const root = this.#root
    const target = resolveTarget(root.base, path)
    if (target === undefined) {
      throw new RequestRejectedError(
        { method, url: redactUrl(path) },
        root.base === undefined
          ? 'the path must be an absolute http(s) URL (the client has no baseUrl)'
          : 'invalid path',
      )
    }
    const allowed = root.options.allowedOrigins
    if (!target.home && root.base !== undefined && allowed !== '*' && !allowed?.has(target.origin)) {
      throw new RequestRejectedError(
        { method, url: redactUrl(target.origin + target.path) },
        `the origin ${target.origin} is not the base origin ${root.base.origin} nor in allowedOrigins`,
      )
    }
    const query = target.home ? serializeQuery(options.query, this.#query) : serializeQuery(options.query)
    const requestPath = appendQuery(target.path, query)

    const closedError = this.#closedError(method, target.origin + requestPath)
    if (closedError !== null) throw closedError

    const hasJson = options.json !== undefined
    let body: PreparedBody | undefined
    if (hasJson || (options.body !== undefined && options.body !== null)) {
      const prepared = prepareBody(options.body, options.json, hasJson)
      if (typeof prepared === 'string')
        throw new ConfigError(hasJson ? 'json' : 'body', options.body, prepared)
      body = prepared
    }

    // The client's defaults go to the base origin only; elsewhere only what this request names.
    let headers = target.home || root.base === undefined ? this.#headers : EMPTY_HEADERS
    if (options.headers !== undefined || body?.contentType !== undefined) {
      headers = { ...headers }
      if (options.headers !== undefined) {
        toHeaderRecord(
          options.headers,
          (problem) => {
            throw new RequestRejectedError({ method, url: redactUrl(target.origin + requestPath) }, problem)
          },
          headers,
        )
      }
      if (body?.contentType !== undefined && headers['content-type'] === undefined) {
        headers['content-type'] = body.contentType
      }
    }

    let timeouts = this.#timeouts
    if (options.timeout !== undefined) {
      timeouts = normalizeTimeouts('timeout', options.timeout, timeouts, REQUEST_TIMEOUT_KEYS)
    }
    const signal = options.signal
    if (signal !== undefined) {
      if (!isAbortSignal(signal)) throw new ConfigError('signal', signal, 'an AbortSignal')
      if (signal.aborted)
        throw new AbortError({ method, url: redactUrl(target.origin + requestPath) }, signal.reason)
    }

    const now = performance.now()
    let totalDeadline = now + timeouts.total
    if (this.#deadline < totalDeadline) totalDeadline = this.#deadline
    const raiseForStatus = options.raiseForStatus ?? this.#raiseForStatus

    const dispatchOptions: Dispatcher.DispatchOptions = {
      origin: target.origin,
      path: requestPath,
      method: method as Dispatcher.HttpMethod,
      headers,
      body: body === undefined ? null : (body.body as Dispatcher.DispatchOptions['body']),
      headersTimeout: timeouts.headers,
      bodyTimeout: timeouts.body,
    }
    const call = new Call(
      this,
      this.#dispatcher,
      dispatchOptions,
      timeouts,
      totalDeadline,
      raiseForStatus,
      signal,
    )
    this.#track(call, target.origin)
    if (this.#maxConcurrent !== 0 && this.#running >= this.#maxConcurrent) return this.#enqueue(call)
    this.#running++
    return call.run(now)
  }

  #enqueue(call: Call): Promise<MooringResponse> {
    return new Promise<void>((resolve) => {
      if (this.#waiting === null) this.#waiting = []
      this.#waiting.push(resolve)
    }).then(() => {
      this.#running++
      return call.run(performance.now())
    })
  }

  #track(call: Call, origin: string): void {
    this.#calls.add(call)
    for (let c: MooringClient = this; ; ) {
      const parent = c.#parent
      if (c.#active++ === 0 && parent !== null) parent.#busyChildren.add(c)
      if (parent === null) break
      c = parent
    }
    const root = this.#root
    const counters = origin === root.base?.origin ? root.baseCounters! : countersFor(root, origin)
    counters.inFlight++
    call.counters = counters
  }

  /** @internal */
  _callSettled(call: Call, failed: boolean): void {
    if (!this.#calls.delete(call)) return
    const counters = call.counters!
    counters.inFlight--
    if (failed) counters.failed++
    else counters.done++
    if (this.#maxConcurrent !== 0) {
      this.#running--
      const next = this.#waiting?.shift()
      if (next !== undefined) next()
    }
    for (let c: MooringClient = this; ; ) {
      const parent = c.#parent
      if (--c.#active === 0) {
        if (parent !== null) parent.#busyChildren.delete(c)
        c.#drained?.()
      }
      if (parent === null) break
      c = parent
    }
  }

  #closedError(method: string, url: string): MooringError | null {
    for (let c: MooringClient | null = this; c !== null; c = c.#parent) {
      if (c.#closeReason !== null) {
        return c.#closeReason instanceof AbortError
          ? new AbortError({ method, url: redactUrl(url) }, c.#closeReason.cause)
          : new ClientClosedError(c.#parent === null ? 'client' : 'scope', { method, url: redactUrl(url) })
      }
      if (c.#closing !== null) {
        return new ClientClosedError(c.#parent === null ? 'client' : 'scope', { method, url: redactUrl(url) })
      }
    }
    return null
  }

  /**
   * A cheap client for one unit of work (an inbound request): the same pool, its own headers, signal,
   * timeouts and deadline, its requests tracked so `close()` aborts whatever is left.
   */
  scope(options: ScopeOptions = {}): MooringClient {
    const o = expectObject('', options, SCOPE_KEYS) as ScopeOptions
    if (this.closed) throw new ClientClosedError(this.#parent === null ? 'client' : 'scope')
    const headers =
      o.headers === undefined ? this.#headers : { ...this.#headers, ...configHeaders('headers', o.headers) }
    const query = o.query === undefined ? this.#query : serializeQuery(o.query as QueryInput, this.#query)
    const timeouts = normalizeTimeouts('timeout', o.timeout, this.#timeouts, REQUEST_TIMEOUT_KEYS)
    let deadline = this.#deadline
    if (o.deadline !== undefined) {
      if (typeof o.deadline !== 'number' || !Number.isFinite(o.deadline)) {
        throw new ConfigError('deadline', o.deadline, 'a time in ms since the epoch (Date.now() + budget)')
      }
      deadline = Math.min(deadline, performance.now() + (o.deadline - Date.now()))
    }
    if (o.signal !== undefined && !isAbortSignal(o.signal))
      throw new ConfigError('signal', o.signal, 'an AbortSignal')
    const maxConcurrent =
      o.maxConcurrent === undefined ? 0 : expectPositiveInt('maxConcurrent', o.maxConcurrent)
    const raiseForStatus =
      o.raiseForStatus === undefined
        ? this.#raiseForStatus
        : expectBoolean('raiseForStatus', o.raiseForStatus)
    let dispatcher = this.#dispatcher
    let owns = false
    if (o.pool !== undefined && o.pool !== 'shared' && o.pool !== 'isolated') {
      throw new ConfigError('pool', o.pool, "'shared' or 'isolated'")
    }
    if (o.pool === 'isolated') {
      const rootOptions = this.#root.options
      if (rootOptions.transport !== undefined) {
        throw new ConfigError('pool', o.pool, "'shared' when the client was given a transport")
      }
      const limits: NormalizedLimits = normalizeLimits('limits', o.limits, rootOptions.limits)
      dispatcher = createOwnedDispatcher({
        timeouts: {
          ...rootOptions.timeouts,
          connect:
            o.connectTimeout === undefined
              ? rootOptions.timeouts.connect
              : expectMs('connectTimeout', o.connectTimeout),
        },
        limits,
        http2: rootOptions.http2,
        tls: o.tls === undefined ? rootOptions.tls : normalizeTls('tls', o.tls),
        proxy: rootOptions.proxy,
      })
      owns = true
    } else {
      for (const key of ['limits', 'tls', 'connectTimeout'] as const) {
        if (o[key] !== undefined) throw new ConfigError(key, o[key], "no value unless pool is 'isolated'")
      }
    }
    const scope = new MooringClient(
      this.#root,
      this,
      dispatcher,
      owns,
      headers,
      query,
      timeouts,
      deadline,
      o.signal,
      raiseForStatus,
      maxConcurrent,
    )
    if (owns) trackUnclosed(scope, 'scope with an isolated pool')
    return scope
  }

  /** The scope's signal fired: abort what is in flight and refuse what comes. */
  handleEvent(): void {
    const reason = new AbortError({ method: '*', url: '*' }, this.#signal?.reason)
    this.#closeReason = reason
    this.#abortAll(reason.cause)
  }

  #abortAll(cause: unknown): void {
    for (const call of this.#calls) call.abort(new AbortError(call.info, cause))
    for (const child of this.#busyChildren) child.#abortAll(cause)
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
    const drainTimeout =
      options.drainTimeout === undefined
        ? this.#parent === null
          ? DEFAULT_DRAIN_TIMEOUT
          : 0
        : expectMs('drainTimeout', options.drainTimeout, true)
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
    this.#signal?.removeEventListener('abort', this)
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
    if (this.#ownsDispatcher || closeTransport) await this.#dispatcher.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Connections and requests, per origin. */
  stats(): ClientStats {
    const root = this.#root
    const pools = readPoolStats(this.#dispatcher)
    const origins: ClientStats['origins'] = {}
    for (const [origin, counters] of root.counters) {
      origins[origin] = {
        ...pools[origin],
        inFlight: counters.inFlight,
        done: counters.done,
        failed: counters.failed,
      }
    }
    for (const origin in pools) {
      origins[origin] ??= { ...pools[origin], inFlight: 0, done: 0, failed: 0 }
    }
    return { inFlight: this.#active, origins }
  }
}

const EMPTY_HEADERS: HeaderRecord = Object.freeze({}) as HeaderRecord

function countersFor(root: Root, origin: string): OriginCounters {
  let counters = root.counters.get(origin)
  if (counters === undefined) {
    counters = new OriginCounters()
    root.counters.set(origin, counters)
  }
  return counters
}

/** Creates a client that owns a connection pool (or sends through `transport`). Close it at shutdown. */
export function createClient(options: ClientOptions = {}): MooringClient {
  const normalized = normalizeClientOptions(options)
  const input = options as Record<string, unknown>
  const headers = input.headers === undefined ? {} : configHeaders('headers', input.headers)
  const query = input.query === undefined ? '' : configQuery('query', input.query)
  const base = toBase(normalized.base)
  const counters = new Map<string, OriginCounters>()
  const baseCounters = base === undefined ? undefined : new OriginCounters()
  if (base !== undefined) counters.set(base.origin, baseCounters!)
  const root: Root = { options: normalized, base, counters, baseCounters }
  const owns = normalized.transport === undefined
  const dispatcher = normalized.transport ?? createOwnedDispatcher(normalized)
  const client = new MooringClient(
    root,
    null,
    dispatcher,
    owns,
    headers,
    query,
    normalized.timeouts,
    Number.POSITIVE_INFINITY,
    undefined,
    normalized.raiseForStatus,
    0,
  )
  if (owns) trackUnclosed(client, 'client')
  return client
}

export type { ClientOptions, TimeoutOptions }
export { MooringError }
