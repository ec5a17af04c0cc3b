import { ConfigError, type MooringClient } from '@mooring/core'
import type { FastifyMooring } from './registration.js'

/**
 * `app.mooring`: the one way to find a registration by name from code that has the app but no
 * request (a service called from a handler). One per encapsulation context; a child context's
 * accessor also sees the registrations of its parents, never those of its siblings.
 */
export class MooringAccessor {
  readonly #registrations = new Map<string, FastifyMooring>()
  readonly #parent: MooringAccessor | undefined

  /** @internal Created by the plugin. */
  constructor(parent?: MooringAccessor) {
    this.#parent = parent
  }

  /** The current request's client of registration `name` inside a request; its app client outside one. */
  current(name = 'http'): MooringClient {
    return this.get(name).current()
  }

  /** The registration `name` (default `http`): its app `client`, `current()`, `stats()`. */
  get<Name extends string = 'http'>(name: Name = 'http' as Name): FastifyMooring<Name> {
    const registration = this.find(name)
    if (registration === undefined) {
      throw new ConfigError('name', name, `a registered name (one of ${this.names().join(', ') || 'none'})`)
    }
    return registration as FastifyMooring<Name>
  }

  /** Names registered here and in parent contexts. */
  names(): string[] {
    return [...(this.#parent?.names() ?? []), ...this.#registrations.keys()]
  }

  /** @internal */
  add(registration: FastifyMooring): void {
    this.#registrations.set(registration.name, registration)
  }

  /** @internal The registration `name` here or in a parent context, if any. */
  find(name: string): FastifyMooring | undefined {
    return this.#registrations.get(name) ?? this.#parent?.find(name)
  }
}
