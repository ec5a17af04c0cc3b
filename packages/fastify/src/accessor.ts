import { type ClientBinding, ConfigError, type MooringClient } from '@mooring/core'

/**
 * `app.mooring`: finds a registration by name from code that has the app but no request (a service
 * called from a handler). One per encapsulation context; a child context's accessor also sees the
 * registrations of its parents, never those of its siblings.
 */
export class MooringAccessor {
  readonly #bindings = new Map<string, ClientBinding>()
  readonly #parent: MooringAccessor | undefined

  /** @internal Created by the plugin. */
  constructor(parent?: MooringAccessor) {
    this.#parent = parent
  }

  /** The current request's client of registration `name` inside a request; its app client outside one. */
  current(name = 'http'): MooringClient {
    return this.binding(name).current()
  }

  /** The registration `name` (default `http`): its app client, `stats()`, `run()`. */
  binding(name = 'http'): ClientBinding {
    const binding = this.#find(name)
    if (binding === undefined) {
      throw new ConfigError('name', name, `a registered name (one of ${this.names().join(', ') || 'none'})`)
    }
    return binding
  }

  /** Names registered here and in parent contexts. */
  names(): string[] {
    return [...(this.#parent?.names() ?? []), ...this.#bindings.keys()]
  }

  /** @internal */
  add(binding: ClientBinding): void {
    this.#bindings.set(binding.name, binding)
  }

  #find(name: string): ClientBinding | undefined {
    const parent = this.#parent
    return this.#bindings.get(name) ?? (parent === undefined ? undefined : parent.#find(name))
  }
}
