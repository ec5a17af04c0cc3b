import { AsyncLocalStorage } from 'node:async_hooks'
import {
  type CloseOptions,
  createClient,
  MooringClient,
  type ScopeMaker,
  type ScopeOptions,
} from './client.js'
import { ConfigError, DownstreamClosedError } from './errors.js'
import type { HeaderRecord } from './headers.js'
import { isTransportOwned } from './refused-headers.js'
import {
  type ClientOptions,
  DEFAULT_LIMITS,
  type LimitOptions,
  normalizeLimits,
  normalizeTls,
  type TlsOptions,
} from './options.js'
import type { ClientStats } from './stats.js'
import { expectMs, expectObject, expectPositiveInt } from './validate.js'

/**
 * What a framework registration takes: every client option, plus how handlers get their client.
 * Shared by all four plugins, so each is glue over this and nothing more.
 */
export interface BindingOptions extends ClientOptions {
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
  /** Inbound headers copied onto every outbound call of the request (`x-request-id`, `traceparent`). */
  propagate?: readonly string[]
  /** Milliseconds an inbound request has; its calls get what is left of it. */
  deadline?: number
  /** Use this client as the app client instead of creating one; the binding will not close it. */
  client?: MooringClient
  /** At shutdown, how long calls in flight may finish before they are aborted. Default 5000 ms. */
  drainTimeout?: number
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

export interface BindingStats extends ClientStats {
  scopesOpened: number
  scopesClosed: number
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
const BINDING_KEYS: readonly string[] = ['scope', 'name', ...REQUEST_ONLY_KEYS, 'client', 'drainTimeout']
const RESOLVED: Promise<void> = Promise.resolve()
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/**
 * One registration of Mooring in an app: the app client, how a request gets its client, and the
 * AsyncLocalStorage that lets code with no `req` find the current one. Plugins call `open` when a
 * request arrives, `release` when it is finished (however it finished), `close` at shutdown.
 */
export class ClientBinding {
  readonly name: string
  readonly mode: 'app' | 'request'
  /** The app client: one pool for the app's lifetime. */
  readonly client: MooringClient
  readonly #ownsClient: boolean
  readonly #makeScope: ScopeMaker | null
  readonly #propagate: readonly string[]
  readonly #deadline: number
  readonly #storage = new AsyncLocalStorage<MooringClient>()
  readonly #releasing = new Set<Promise<void>>()
  readonly #drainTimeout: number | undefined
  #closing: Promise<void> | null = null
  #opened = 0
  #closed = 0

  constructor(options: BindingOptions = {}) {
    const o = options as Record<string, unknown>
    const clientOptions: Record<string, unknown> = {}
    const own: Record<string, unknown> = {}
    for (const key of Object.keys(o)) (BINDING_KEYS.includes(key) ? own : clientOptions)[key] = o[key]
    expectObject('', own, BINDING_KEYS)
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
    if (!Array.isArray(propagate) || !propagate.every((h) => typeof h === 'string' && h !== '')) {
      throw new ConfigError('propagate', propagate, 'an array of header names')
    }
    this.#propagate = propagate.map((h: string) => h.toLowerCase())
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
    this.#deadline = own.deadline === undefined ? 0 : expectMs('deadline', own.deadline)
    this.#drainTimeout =
      own.drainTimeout === undefined ? undefined : expectMs('drainTimeout', own.drainTimeout, true)
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
    if (own.client !== undefined) {
      if (!(own.client instanceof MooringClient))
        throw new ConfigError('client', own.client, 'a MooringClient')
      if (Object.keys(clientOptions).length > 0) {
        throw new ConfigError(
          Object.keys(clientOptions)[0],
          undefined,
          'no client option when `client` is given',
        )
      }
      this.client = own.client
      this.#ownsClient = false
    } else {
      this.client = createClient(clientOptions as ClientOptions)
      this.#ownsClient = true
    }
    // Only the keys that are set: a scope per request should validate no more than it must.
    const template: ScopeOptions = {}
    if (own.pool !== undefined) template.pool = own.pool as ScopeOptions['pool']
    // Validated now, under their own names: a scope checks them again per request, too late to say.
    if (own.requestLimits !== undefined) {
      normalizeLimits('requestLimits', own.requestLimits, DEFAULT_LIMITS)
      template.limits = own.requestLimits as LimitOptions
    }
    if (own.requestTls !== undefined) {
      normalizeTls('requestTls', own.requestTls)
      template.tls = own.requestTls as TlsOptions
    }
    if (maxConcurrent !== undefined) template.maxConcurrent = maxConcurrent
    // Validated once here; per request a scope is made with no option parsing.
    this.#makeScope = mode === 'request' ? this.client._scopeMaker(template) : null
  }

  /** The client for an inbound request: a new scope in request mode, the app client in app mode. */
  open(inbound: InboundRequest): MooringClient {
    const makeScope = this.#makeScope
    if (makeScope === null) return this.client
    let deadline = Number.POSITIVE_INFINITY
    if (this.#deadline !== 0) {
      const now = performance.now()
      deadline =
        inbound.startedAt === undefined
          ? now + this.#deadline
          : now + (inbound.startedAt + this.#deadline - Date.now())
    }
    const headers = this.#propagate.length > 0 ? this.#propagated(inbound.headers) : undefined
    const scope = makeScope(headers, inbound.signal, deadline)
    this.#opened++
    return scope
  }

  /** The inbound headers to copy, or undefined when the request has none of them. */
  #propagated(headers: InboundRequest['headers']): HeaderRecord | undefined {
    let out: HeaderRecord | undefined
    const isWebHeaders = typeof (headers as Headers).get === 'function'
    for (const name of this.#propagate) {
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
    const client = this.open({ headers: incoming.headers, startedAt })
    const end = (): void => {
      if (!outgoing.writableFinished) client.abort(new DownstreamClosedError())
      this.release(client).catch(() => {})
    }
    // The connection can drop before the framework reaches us: 'close' has then been emitted already.
    // `on`, not `once`: a response closes once and is then dropped, and `once` wraps every listener.
    if (outgoing.closed) end()
    else outgoing.on('close', end)
    return client
  }

  /** Closes what `open` gave, aborting whatever the request left in flight. Safe to call twice. */
  release(client: MooringClient): Promise<void> {
    if (client === this.client) return RESOLVED
    if (client._closeCalled) return client.close()
    this.#closed++
    const closing = client.close()
    if (client.isolated) {
      // Its pool may still be closing its sockets: `close()` waits for those too.
      this.#releasing.add(closing)
      closing.finally(() => this.#releasing.delete(closing)).catch(() => {})
    }
    return closing
  }

  /** Runs `fn` with `client` as the current client of this registration. */
  run<T>(client: MooringClient, fn: () => T): T {
    return this.#storage.run(client, fn)
  }

  /** Makes `client` current for the rest of this asynchronous context (for hook-based frameworks). */
  enter(client: MooringClient): void {
    this.#storage.enterWith(client)
  }

  /** The current request's client inside a request; the app client outside one. */
  current(): MooringClient {
    return this.#storage.getStore() ?? this.client
  }

  stats(): BindingStats {
    return { ...this.client.stats(), scopesOpened: this.#opened, scopesClosed: this.#closed }
  }

  /**
   * Shuts the registration down: the app client refuses new calls at once (its scopes too, they
   * ask their ancestors), lets calls in flight in any scope drain for `drainTimeout`, and closes its
   * pool; then the request scopes still open are released. A given `client` is left open, but its
   * scopes from here are released.
   */
  close(options?: CloseOptions): Promise<void> {
    this.#closing ??= this.#shutdown(options)
    return this.#closing
  }

  async #shutdown(options: CloseOptions | undefined): Promise<void> {
    // Scopes are not tracked here (a Set churned per request costs every request's objects a
    // promotion to the old generation): the app client's close reaches the calls of every scope
    // still open, and each scope is released by its request's teardown.
    if (this.#ownsClient) await this.client.close({ drainTimeout: this.#drainTimeout, ...options })
    await Promise.all(this.#releasing)
  }

  /**
   * Closes the registration once `server` has closed, which is after its connections, and so its
   * in-flight requests, are done. Returns the server: `const server = binding.closeWith(app.listen(port))`.
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

export function createBinding(options?: BindingOptions): ClientBinding {
  return new ClientBinding(options)
}
