import { Agent, type Dispatcher } from 'undici'

type Factory = (origin: string | URL, options: object) => Dispatcher
/** undici's DispatcherBase has these getters; its types leave them out of `Dispatcher`. */
type Closable = Dispatcher & { readonly closed?: boolean; readonly destroyed?: boolean }

/**
 * An undici Agent that sends straight to the Pool of the origin it last made one for, skipping the
 * Agent's own dispatch (a second `DispatcherBase.dispatch`: handler unwrap, state checks, origin
 * string, Map lookup) for the origin nearly every call of a client goes to: its `baseUrl`. The Pool
 * is the Agent's own (made by its factory, in its map, its events forwarded, closed with it); once
 * the Agent has closed or dropped it (`closed`/`destroyed`), calls go through the Agent again,
 * which makes a new one. Other origins always go through the Agent.
 */
export class OriginAgent extends Agent {
  #origin: string | URL | null = null
  #pool: Closable | null = null

  constructor(options: Omit<Agent.Options, 'factory'> & { factory: Factory }) {
    const factory = options.factory
    let self: OriginAgent | null = null
    super({
      ...options,
      factory: (origin: string | URL, opts: object): Dispatcher => {
        const pool = factory(origin, opts)
        if (self !== null) {
          self.#origin = origin
          self.#pool = pool
        }
        return pool
      },
    } as Agent.Options)
    self = this
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const pool = this.#pool
    if (pool !== null && options.origin === this.#origin && !pool.closed && !pool.destroyed) {
      return pool.dispatch(options, handler)
    }
    return super.dispatch(options, handler)
  }
}
