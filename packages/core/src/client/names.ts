import { ConfigError } from '../errors.js'

/**
 * The names held by one plugin's open registrations in this process, for frameworks with no moment
 * of registration on an app (Express and Hono mount a plain middleware function, which the app
 * never shows the plugin): a clash is then caught when the second registration is created, not at
 * its first request. A name is free again once its registration is closed.
 */
export class RegistrationNames {
  readonly #taken = new Set<string>()
  readonly #call: string

  /** `call` is how users create a registration, for the error: `mooring() of @mooring/express`. */
  constructor(call: string) {
    this.#call = call
  }

  /** Takes `name`, or throws a ConfigError naming it when an open registration holds it. */
  claim(name: string): void {
    if (this.#taken.has(name)) {
      throw new ConfigError(
        'name',
        name,
        `a name no other open ${this.#call} uses in this process (mount that one's middleware in every app that needs it, close it first, or give this one its own name)`,
      )
    }
    this.#taken.add(name)
  }

  release(name: string): void {
    this.#taken.delete(name)
  }
}
