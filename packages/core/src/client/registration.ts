import { AsyncLocalStorage } from 'node:async_hooks'
import { type CloseOptions, MooringClient, type ScopeOptions } from './client.js'
import { createClient } from './create.js'
import { RESOLVED } from './settled.js'
import { ConfigError, DownstreamClosedError } from '../errors.js'
import type { RegistrationNames } from './names.js'
import type { ScopeFactory } from './scope-factory.js'
import type { HeaderRecord } from '../config/headers.js'
import { isTransportOwned } from '../config/refused-headers.js'
import { observeChannels } from '../observe/channels.js'
import { TRACE_CONTEXT_HEADERS, traceContextInjected } from '../observe/propagation.js'
import {
  type ClientOptions,
  DEFAULT_LIMITS,
  type LimitOptions,
  normalizeLimits,
  normalizeTls,
  type TlsOptions,
} from '../config/options.js'
import type { ClientStats } from '../observe/stats.js'
import { expectMs, expectObject, expectPositiveInt } from '../config/validate.js'

/**
 * What a framework registration takes: every client option, plus how handlers get their client.
 * Shared by all four plugins, so each is glue over this and nothing more.
 */
export interface RegistrationOptions extends ClientOptions {
  /**
   * `'request'` (default): each inbound request gets a scope of the app client, closed at teardown.
   * `'app'`: handlers get the app client itself.
   */
  scope?: 'app' | 'request'
  /** The property handlers read (`req.http`, `c.var.http`, …). Default `http`. */
  name?: string
  /** For request scopes: the app's shared pool (default), or a pool per request closed at teardown. */
  pool?: 'shared' | 'isolated'
  /** Limits of each per-request pool when `pool` is `'isolated'`. */
  requestLimits?: LimitOptions
  /** TLS of each per-request pool when `pool` is `'isolated'` (per-tenant client certificates). */
  requestTls?: TlsOptions
  /** Calls one inbound request may have in flight at once, so no request takes the whole pool. */
  maxConcurrent?: number
  /**
   * Inbound headers copied onto every outbound call of the request (`x-request-id`, `traceparent`).
   * `traceparent`, `tracestate` and `baggage` are copied only while no tracing instrumentation of
   * undici is on: when one is, it injects them for its own span of each attempt, and a copy would
   * send them twice.
   */
  propagate?: readonly string[]
  /** Milliseconds an inbound request has; its calls get what is left of it. */
  deadline?: number
  /** Use this client as the app client instead of creating one; the registration will not close it. */
  client?: MooringClient
  /** At shutdown, how long calls in flight may finish before they are aborted. Default 5000 ms. */
  drainTimeout?: number
  /** Closed at shutdown after the app client: shared stores (`@mooring/redis`) and their connections. */
  stores?: readonly ClosableStore[]
  /**
   * Request scope: `true` runs each request in an AsyncLocalStorage context, so `current()` (and
   * Nest's `@InjectClient()`) finds the request's client from code that has no request object.
   * `false` skips it: handlers read the client from the request (`req.http`, `c.var.http`), and
   * `current()` throws a `ConfigError` naming this option, since without a context it cannot tell
   * which request it is called for. Entering the context is most of a request scope's cost on Node 20
   * (see bench/RESULTS.md), so it is opt-in: default `false` in Express, Fastify and Hono, `true` in
   * Nest (whose `@InjectClient()` needs it). App scope never enters one.
   */
  context?: boolean
}

/** What `stores` closes: anything with a `close()`. */
export interface ClosableStore {
  close(): void | Promise<void>
}

/** What a plugin gives its registrations beyond the user's options. */
export interface RegistrationSeam {
  /** The plugin's names taken in this process: a second open registration of one name is refused. */
  names?: RegistrationNames
  /**
   * The plugin's default for the `context` option when its user leaves it out. Default `false`:
   * a request runs in an AsyncLocalStorage context only where it is asked for.
   */
  context?: boolean
  /**
   * How a handler of this plugin reads the request's client, given the registration's name
   * (`(name) => \`req.${name}\``): named by the error `current()` throws with the context off.
   */
  requestClient?: (name: string) => string
}

/** What `openExchange` needs of node:http's IncomingMessage (typed structurally). */
export interface NodeIncoming {
  readonly headers: Record<string, string | string[] | undefined>
}

/** What `openExchange` needs of node:http's ServerResponse. */
export interface NodeOutgoing {
  readonly closed: boolean
  readonly writableFinished: boolean
  on(event: 'close', listener: () => void): unknown
}

/** A server that says when it has closed (node:http, @hono/node-server, …). */
export interface ClosingServer {
  once(event: 'close', listener: () => void): unknown
}

/** What a plugin knows of an inbound request. */
export interface InboundRequest {
  /** Node's IncomingHttpHeaders or a web Headers. */
  headers: Record<string, string | string[] | undefined> | Headers
  /** Aborted when the downstream client goes away. */
  signal?: AbortSignal
  /** When the request arrived, in ms since the epoch (for `deadline`). Default: now. */
  startedAt?: number
}

export interface RegistrationStats extends ClientStats {
  /** Request scopes opened (0 in app scope). */
  scopesOpened: number
  /** Of those, the ones closed: released at their request's end, or closed by the app. */
  scopesClosed: number
}

/**
 * What every plugin shows of a registration, the same in Express, Fastify, Hono and Nest (each adds
 * only its framework's way in: a `middleware`, a decorator, an injection token).
 */
export interface PluginRegistration<Name extends string = string> {
  /** The property or token handlers read the client under (`req.http`, `c.var.http`). */
  readonly name: Name
  /** `'request'`: each inbound request gets a scope; `'app'`: handlers share the app client. */
  readonly mode: 'app' | 'request'
  /** The app client: one pool for the app's lifetime. */
  readonly client: MooringClient
  /**
   * The current request's client inside a request; the app client outside one, and always in app
   * scope. In request scope with `context: false` it throws a `ConfigError` naming `context`.
   */
  current(): MooringClient
  stats(): RegistrationStats
  /** Shuts the registration down: drains calls in flight, closes the pool it owns. */
  close(options?: CloseOptions): Promise<void>
  /** Closes the registration once `server` has closed; returns `server`. */
  closeWith<S extends ClosingServer>(server: S): S
}

/** Options that shape each request's scope, so have no meaning in app scope. */
const REQUEST_ONLY_KEYS = [
  'pool',
  'requestLimits',
  'requestTls',
  'maxConcurrent',
  'propagate',
  'deadline',
] as const
const REGISTRATION_KEYS: readonly string[] = [
  'scope',
  'name',
  ...REQUEST_ONLY_KEYS,
  'client',
  'drainTimeout',
  'stores',
  'context',
]
type Slots = Record<symbol, MooringClient | undefined>
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/**
 * One registration of Mooring in an app: the app client, how a request gets its client, and the
 * AsyncLocalStorage that lets code with no `req` find the current one.
 *
 * The seam for plugin authors. Every plugin holds one in a private field and wraps it the same way,
 * by composition: its users see the plugin's own object (`middleware`, `client`, `current()`,
 * `stats()`, `close()`, `closeWith()`), never this one. A plugin calls `open`/`openExchange` when a
 * request arrives, `release` when it is finished (however it finished), `close` at shutdown.
 */
export class Registration implements PluginRegistration {
  readonly name: string
  readonly mode: 'app' | 'request'
  /** Whether a request runs in an AsyncLocalStorage context (`context` option; never in app scope). */
  readonly context: boolean
  /** The app client: one pool for the app's lifetime. */
  readonly client: MooringClient
  readonly #ownsClient: boolean
  readonly #scopes: ScopeFactory | null
  readonly #propagate: readonly string[]
  /** `propagate` without the trace-context headers, for when a tracing instrumentation injects them (observe/propagation.ts). */
  readonly #propagateUntraced: readonly string[]
  readonly #deadline: number
  readonly #storage = new AsyncLocalStorage<MooringClient>()
  readonly #releasing = new Set<Promise<void>>()
  readonly #drainTimeout: number | undefined
  readonly #stores: readonly ClosableStore[]
  readonly #names: RegistrationNames | undefined
  /** What `current()` says it expected in request scope with the context off; null when it has a client to give. */
  readonly #noContext: string | null
  #closing: Promise<void> | null = null
  /** Where a node:http response carries the client `openExchange` gave its request (one per registration). */
  readonly #exchange = Symbol('mooring.exchange')
  /**
   * The responses' `close` listener: one function per registration, not a closure per request; the
   * response carries its client. A close before the response finished means the downstream client left.
   */
  readonly #exchangeClosed = (() => {
    const registration = this
    const slot = this.#exchange
    return function exchangeClosed(this: NodeOutgoing): void {
      const client = (this as unknown as Slots)[slot]
      if (client === undefined) return
      if (!this.writableFinished) client.abort(new DownstreamClosedError())
      // A scope closed with nothing in flight gives the shared settled promise: no handler needed,
      // and none made (a `.catch` is a promise per request).
      const closing = registration.release(client)
      if (closing !== RESOLVED) closing.catch(ignore)
    }
  })()

  /**
   * `seam.names`: the plugin's set of names taken in this process, for frameworks where a clash
   * cannot be seen on the app (see `RegistrationNames`); the name is held until `close()`.
   */
  constructor(options: RegistrationOptions = {}, seam: RegistrationSeam = {}) {
    const o = options as Record<string, unknown>
    const clientOptions: Record<string, unknown> = {}
    const own: Record<string, unknown> = {}
    for (const key of Object.keys(o)) (REGISTRATION_KEYS.includes(key) ? own : clientOptions)[key] = o[key]
    expectObject('', own, REGISTRATION_KEYS)
    const mode = own.scope ?? 'request'
    if (mode !== 'app' && mode !== 'request') throw new ConfigError('scope', mode, "'app' or 'request'")
    this.mode = mode
    const name = own.name ?? 'http'
    if (typeof name !== 'string' || !IDENTIFIER.test(name))
      throw new ConfigError('name', name, 'an identifier')
    this.name = name
    if (own.pool !== undefined && own.pool !== 'shared' && own.pool !== 'isolated') {
      throw new ConfigError('pool', own.pool, "'shared' or 'isolated'")
    }
    const propagate = own.propagate ?? []
    if (!Array.isArray(propagate) || !propagate.every((h) => typeof h === 'string' && HEADER_NAME.test(h))) {
      throw new ConfigError('propagate', propagate, 'an array of header names')
    }
    this.#propagate = propagate.map((h: string) => h.toLowerCase())
    const untraced = this.#propagate.filter((h) => !TRACE_CONTEXT_HEADERS.has(h))
    this.#propagateUntraced = untraced.length === this.#propagate.length ? this.#propagate : untraced
    const owned = this.#propagate.find(isTransportOwned)
    if (owned !== undefined)
      throw new ConfigError('propagate', propagate, `header names a request may send (not ${owned})`)
    if (this.#propagate.includes('host')) {
      throw new ConfigError(
        'propagate',
        propagate,
        'header names other than host (the host comes from the URL)',
      )
    }
    if (own.context !== undefined && typeof own.context !== 'boolean') {
      throw new ConfigError('context', own.context, 'true or false')
    }
    // App scope: current() is the app client in a request and out of one, so no context is needed.
    const context = own.context ?? seam.context ?? false
    this.context = mode === 'request' && context
    this.#noContext =
      mode === 'request' && !context
        ? `true on the registration to use current() in request scope, or read the request's client from ${seam.requestClient?.(name) ?? 'the request'}`
        : null
    this.#deadline = own.deadline === undefined ? 0 : expectMs('deadline', own.deadline)
    this.#drainTimeout =
      own.drainTimeout === undefined ? undefined : expectMs('drainTimeout', own.drainTimeout, true)
    const stores = own.stores ?? []
    if (
      !Array.isArray(stores) ||
      !stores.every((s) => typeof (s as ClosableStore | null)?.close === 'function')
    ) {
      throw new ConfigError('stores', stores, 'an array of stores, each with a close() method')
    }
    this.#stores = stores
    const maxConcurrent =
      own.maxConcurrent === undefined ? undefined : expectPositiveInt('maxConcurrent', own.maxConcurrent)
    if (mode === 'app') {
      for (const key of REQUEST_ONLY_KEYS) {
        if (own[key] !== undefined)
          throw new ConfigError(key, own[key], "no value when scope is 'app' (it is per request)")
      }
    } else if (own.pool !== 'isolated') {
      for (const key of ['requestLimits', 'requestTls'] as const) {
        if (own[key] !== undefined) throw new ConfigError(key, own[key], "no value unless pool is 'isolated'")
      }
    }
    // Validated now, under their own names: a scope checks them again per request, too late to say.
    let requestLimits: LimitOptions | undefined
    if (own.requestLimits !== undefined) {
      normalizeLimits('requestLimits', own.requestLimits, DEFAULT_LIMITS)
      requestLimits = own.requestLimits as LimitOptions
    }
    let requestTls: TlsOptions | undefined
    if (own.requestTls !== undefined) {
      normalizeTls('requestTls', own.requestTls)
      requestTls = own.requestTls as TlsOptions
    }
    // Last of the checks, before the pool is made: a registration that fails leaves nothing open.
    seam.names?.claim(name)
    this.#names = seam.names
    try {
      this.client = this.#appClient(own.client, clientOptions)
    } catch (err) {
      seam.names?.release(name)
      throw err
    }
    this.#ownsClient = own.client === undefined
    // Only the keys that are set: a scope per request should validate no more than it must.
    const template: ScopeOptions = {}
    if (own.pool !== undefined) template.pool = own.pool as ScopeOptions['pool']
    if (requestLimits !== undefined) template.limits = requestLimits
    if (requestTls !== undefined) template.tls = requestTls
    if (maxConcurrent !== undefined) template.maxConcurrent = maxConcurrent
    // Validated once here; per request a scope is opened with no option parsing.
    this.#scopes = mode === 'request' ? this.client.prepareScope(template) : null
    if (observeChannels.registration.hasSubscribers)
      observeChannels.registration.publish({ registration: this })
  }

  #appClient(given: unknown, clientOptions: Record<string, unknown>): MooringClient {
    if (given !== undefined) {
      if (!(given instanceof MooringClient)) throw new ConfigError('client', given, 'a MooringClient')
      if (Object.keys(clientOptions).length > 0) {
        throw new ConfigError(
          Object.keys(clientOptions)[0],
          undefined,
          'no client option when `client` is given',
        )
      }
      return given
    }
    return createClient(clientOptions as ClientOptions)
  }

  /** The client for an inbound request: a new scope in request mode, the app client in app mode. */
  open(inbound: InboundRequest): MooringClient {
    return this.#open(inbound.headers, inbound.signal, inbound.startedAt)
  }

  /** `open` in parts, so `openExchange` makes no InboundRequest object per request. */
  #open(
    headers: InboundRequest['headers'],
    signal: AbortSignal | undefined,
    startedAt: number | undefined,
  ): MooringClient {
    const scopes = this.#scopes
    if (scopes === null) return this.client
    // The common registration (no propagate, no deadline, no signal): no overrides at all.
    if (this.#propagate.length === 0 && this.#deadline === 0 && signal === undefined) return scopes.open()
    return scopes.open({
      headers: this.#propagate.length > 0 ? this.#propagated(headers) : undefined,
      signal,
      deadlineIn: this.#deadline === 0 ? undefined : this.#timeLeft(startedAt),
    })
  }

  /** What is left of the inbound request's `deadline`: all of it unless it arrived before now. */
  #timeLeft(startedAt: number | undefined): number {
    return startedAt === undefined ? this.#deadline : startedAt + this.#deadline - Date.now()
  }

  /** The inbound headers to copy, or undefined when the request has none of them. */
  #propagated(headers: InboundRequest['headers']): HeaderRecord | undefined {
    let out: HeaderRecord | undefined
    const isWebHeaders = typeof (headers as Headers).get === 'function'
    const names =
      this.#propagateUntraced !== this.#propagate && traceContextInjected()
        ? this.#propagateUntraced
        : this.#propagate
    for (const name of names) {
      const value = isWebHeaders
        ? (headers as Headers).get(name)
        : (headers as Record<string, string | string[]>)[name]
      if (value !== undefined && value !== null) {
        if (out === undefined) out = {}
        out[name] = value
      }
    }
    return out
  }

  /**
   * `open` for a request served by node:http (Express, Fastify, Nest, @hono/node-server): the
   * response's `close` is the one moment an exchange is over, however it ended, so the client is
   * released then; a close before the response finished means the downstream client left, and the
   * request's calls are aborted with `DownstreamClosedError`. The request's own `close` says nothing
   * (it fires once its body is read, while the handler still works), nor does Fastify 5's
   * `request.signal` (fastify#6725).
   */
  openExchange(incoming: NodeIncoming, outgoing: NodeOutgoing, startedAt?: number): MooringClient {
    if (this.mode === 'app') return this.client
    const client = this.#open(incoming.headers, undefined, startedAt)
    ;(outgoing as unknown as Slots)[this.#exchange] = client
    // The connection can drop before the framework reaches us: 'close' has then been emitted already.
    // `on`, not `once`: a response closes once and is then dropped, and `once` wraps every listener.
    if (outgoing.closed) this.#exchangeClosed.call(outgoing)
    else outgoing.on('close', this.#exchangeClosed)
    return client
  }

  /** Closes what `open` gave, aborting whatever the request left in flight. Safe to call twice. */
  release(client: MooringClient): Promise<void> {
    if (client === this.client) return RESOLVED
    const closing = client.close()
    if (client.isolated && !this.#releasing.has(closing)) {
      // Its pool may still be closing its sockets: `close()` waits for those too.
      this.#releasing.add(closing)
      closing.finally(() => this.#releasing.delete(closing)).catch(() => {})
    }
    return closing
  }

  /** Runs `fn` with `client` as the current client of this registration. */
  run<T>(client: MooringClient, fn: () => T): T {
    return this.context ? this.#storage.run(client, fn) : fn()
  }

  /** Makes `client` current for the rest of this asynchronous context (for hook-based frameworks). */
  enter(client: MooringClient): void {
    if (this.context) this.#storage.enterWith(client)
  }

  /**
   * The current request's client inside a request; the app client outside one, and in app scope.
   * In request scope with the context off it throws: it cannot tell in a request from out of one,
   * and the app client would silently lose the request's headers, signal and deadline.
   */
  current(): MooringClient {
    if (this.context) return this.#storage.getStore() ?? this.client
    // Made at the call, so its stack shows the caller.
    if (this.#noContext !== null) throw new ConfigError('context', false, this.#noContext)
    return this.client
  }

  stats(): RegistrationStats {
    const scopes = this.#scopes
    if (scopes === null) return { ...this.client.stats(), scopesOpened: 0, scopesClosed: 0 }
    return { ...this.client.stats(), ...scopes.stats() }
  }

  /**
   * Shuts the registration down: the app client refuses new calls at once (its scopes too, they
   * ask their ancestors), lets calls in flight in any scope drain for `drainTimeout`, and closes its
   * pool; then the request scopes still open are released. A given `client` is left open, but its
   * scopes from here are released.
   */
  close(options?: CloseOptions): Promise<void> {
    if (this.#closing === null) this.#names?.release(this.name)
    this.#closing ??= this.#shutdown(options)
    return this.#closing
  }

  async #shutdown(options: CloseOptions | undefined): Promise<void> {
    // Scopes are not tracked here (a Set churned per request costs every request's objects a
    // promotion to the old generation): the app client's close reaches the calls of every scope
    // still open, and each scope is released by its request's teardown.
    if (this.#ownsClient) await this.client.close({ drainTimeout: this.#drainTimeout, ...options })
    await Promise.all(this.#releasing)
    if (this.#stores.length !== 0) await Promise.all(this.#stores.map((store) => store.close()))
  }

  /**
   * Closes the registration once `server` has closed, which is after its connections, and so its
   * in-flight requests, are done. Returns the server: `const server = registration.closeWith(app.listen(port))`.
   * A failure to close is reported as a process warning; `await close()` to see it yourself.
   */
  closeWith<S extends ClosingServer>(server: S): S {
    server.once('close', () => {
      this.close().catch((err: unknown) => {
        process.emitWarning(
          `the Mooring client failed to close with the server: ${err instanceof Error ? err.message : String(err)}`,
          { code: 'MOORING_CLOSE_FAILED' },
        )
      })
    })
    return server
  }
}

/** Teardown's failures after a response closed are the app's to see through `close()`, not here. */
function ignore(): void {}

export function createRegistration(options?: RegistrationOptions): Registration {
  return new Registration(options)
}
