import type {
  CloseOptions,
  ClientStats,
  MooringClient,
  MooringResponse,
  Registration,
  MooringRequestInit,
  PaginateOptions,
  RequestOptions,
  ScopeFactory,
  ScopeOptions,
} from '@mooring/core'

/** MooringClient's public members: what a stand-in must answer for. */
type ClientApi = Omit<MooringClient, '_callSettled' | 'handleEvent'>

/**
 * What `@InjectClient()` gives in request scope: a client that is whichever client is current for
 * the registration when it is used (the request's scope inside a request, the app client outside
 * one; with `context: false` in request scope, every use throws the `ConfigError` of `current()`
 * naming `context`). Singletons hold it instead of the scope itself, which would make every
 * consumer up the chain request-scoped. A plain class, so its methods are the same functions on every access, cost
 * one lookup of the current client, and show in stack traces; it carries core's client brand, so
 * `instanceof MooringClient` holds.
 */
export class ContextualClient implements ClientApi {
  readonly #registration: Registration

  constructor(registration: Registration) {
    this.#registration = registration
  }

  get dispatcher(): MooringClient['dispatcher'] {
    return this.#registration.current().dispatcher
  }
  get closed(): boolean {
    return this.#registration.current().closed
  }
  get isolated(): boolean {
    return this.#registration.current().isolated
  }

  request(options: RequestOptions): Promise<MooringResponse> {
    return this.#registration.current().request(options)
  }
  get(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#registration.current().get(path, init)
  }
  head(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#registration.current().head(path, init)
  }
  options(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#registration.current().options(path, init)
  }
  post(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#registration.current().post(path, init)
  }
  put(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#registration.current().put(path, init)
  }
  patch(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#registration.current().patch(path, init)
  }
  delete(path: string, init?: MooringRequestInit): Promise<MooringResponse> {
    return this.#registration.current().delete(path, init)
  }
  paginate(path: string, options?: PaginateOptions): AsyncGenerator<MooringResponse, void, undefined> {
    return this.#registration.current().paginate(path, options)
  }

  scope(options?: ScopeOptions): MooringClient {
    return this.#registration.current().scope(options)
  }
  prepareScope(options?: ScopeOptions): ScopeFactory {
    return this.#registration.current().prepareScope(options)
  }
  abort(reason?: unknown): void {
    this.#registration.current().abort(reason)
  }
  close(options?: CloseOptions): Promise<void> {
    return this.#registration.current().close(options)
  }
  destroy(): Promise<void> {
    return this.#registration.current().destroy()
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.#registration.current()[Symbol.asyncDispose]()
  }
  stats(): ClientStats {
    return this.#registration.current().stats()
  }
}
// Core's client brand (Symbol.for, so any copy of core sees it): `instanceof MooringClient` holds.
Object.defineProperty(ContextualClient.prototype, Symbol.for('mooring.client'), { value: true })
