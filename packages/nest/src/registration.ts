import type {
  CloseOptions,
  ClosingServer,
  MooringClient,
  PluginRegistration,
  Registration,
  RegistrationStats,
} from '@mooring/core'

/**
 * One registration of Mooring in a Nest app, as `@InjectRegistration(name?)` gives it. Nest closes it
 * at application shutdown; `close()` and `closeWith()` are there for apps that manage it themselves.
 */
export class NestMooring<Name extends string = string> implements PluginRegistration<Name> {
  readonly #registration: Registration
  readonly name: Name
  readonly mode: 'app' | 'request'
  /** The app client: one pool for the app's lifetime. */
  readonly client: MooringClient

  /** @internal Made by `MooringModule`. */
  constructor(registration: Registration) {
    this.#registration = registration
    this.name = registration.name as Name
    this.mode = registration.mode
    this.client = registration.client
  }

  current(): MooringClient {
    return this.#registration.current()
  }

  stats(): RegistrationStats {
    return this.#registration.stats()
  }

  close(options?: CloseOptions): Promise<void> {
    return this.#registration.close(options)
  }

  closeWith<S extends ClosingServer>(server: S): S {
    return this.#registration.closeWith(server)
  }
}
