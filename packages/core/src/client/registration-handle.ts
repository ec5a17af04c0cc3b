import type { CloseOptions, MooringClient } from './client.js'
import type { ClosingServer, PluginRegistration, Registration, RegistrationStats } from './registration.js'

/**
 * The surface every plugin gives users for one registration (`name`, `mode`, `client`, `current()`,
 * `stats()`, `close()`, `closeWith()`), delegating to core's `Registration`, which it keeps private.
 * Each plugin's registration class is this one plus what its framework needs (Express's and Hono's
 * `middleware`), so the four plugins expose the same surface from one piece of code.
 */
export class RegistrationHandle<Name extends string = string> implements PluginRegistration<Name> {
  readonly #registration: Registration
  readonly name: Name
  readonly mode: 'app' | 'request'
  /** The app client: one pool for the app's lifetime. */
  readonly client: MooringClient

  /** Made by a plugin over the registration it created. */
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
