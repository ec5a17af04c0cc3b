import {
  type BindingOptions,
  type BindingStats,
  ClientBinding,
  type CloseOptions,
  type ClosingServer,
  type MooringClient,
  MooringError,
} from '@mooring/core'
import type { Context, MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { withRequestClient } from './request-client.js'

/** The context variables one registration adds: `c.var.http`, or the configured name. */
export type MooringVariables<Name extends string = 'http'> = { [K in Name]: MooringClient }

/** The hono `Env` of an app or route using a registration: `new Hono<MooringEnv>()`. */
export interface MooringEnv<Name extends string = 'http'> {
  Variables: MooringVariables<Name>
}

/** Every core client and binding option (core's `BindingOptions`); `name` is kept literal to type `c.var`. */
export interface MooringOptions<Name extends string = 'http'> extends BindingOptions {
  /** The context variable handlers read (`c.var.http`). Default `http`. */
  name?: Name
}

/** What `closeWith` needs of a server: the one `serve()` from @hono/node-server returns will do. */
/**
 * One registration of Mooring in a hono app. Mount `middleware`, read the client from `c.var[name]`
 * (or `current()` where there is no `c`), close it with the server.
 */
export class HonoMooring<Name extends string = 'http'> {
  readonly name: Name
  /** The core registration: lifecycle, AsyncLocalStorage and stats live there. */
  readonly binding: ClientBinding
  /**
   * Sets `c.var[name]` and runs the rest of the chain with it as `current()`. In request scope the
   * client is the request's own, aborted if the downstream client goes away and closed once the
   * response is done: sent, streamed to its end, cancelled, or failed.
   */
  readonly middleware: MiddlewareHandler<MooringEnv<Name>>
  /** Contexts this registration has given a client, so mounting it twice opens one client, not two. */
  readonly #served = new WeakSet<Context>()

  constructor(options: MooringOptions<Name> = {}) {
    this.binding = new ClientBinding(options)
    this.name = this.binding.name as Name
    this.middleware = createMiddleware<MooringEnv<Name>>(async (c, next) => {
      if (c.get(this.name) !== undefined) {
        if (!this.#served.has(c)) {
          throw new MooringError(
            'MOORING_NAME_TAKEN',
            `c.var.${this.name} is already set: give each mooring() registration its own name`,
          )
        }
        await next()
        return
      }
      const attach = (client: MooringClient): void => {
        this.#served.add(c)
        c.set(this.name, client)
      }
      if (this.binding.mode === 'request') {
        await withRequestClient(c, next, this.binding, attach)
        return
      }
      attach(this.binding.client)
      await next()
    })
  }

  /** The app client: one pool for the app's lifetime. */
  get client(): MooringClient {
    return this.binding.client
  }

  /** The current request's client inside a request (services with no `c`); the app client outside. */
  current(): MooringClient {
    return this.binding.current()
  }

  stats(): BindingStats {
    return this.binding.stats()
  }

  /**
   * Closes the app client (unless it was given) after its in-flight calls drain, and any request
   * client still open. Call it once the server has stopped taking requests. Idempotent.
   */
  close(options?: CloseOptions): Promise<void> {
    return this.binding.close(options)
  }

  /** Closes the registration once `server` has closed (after its in-flight requests): `const server = http.closeWith(serve(app))`. */
  closeWith<S extends ClosingServer>(server: S): S {
    return this.binding.closeWith(server)
  }
}

/**
 * Registers Mooring in a hono app: `app.use(http.middleware)`, and handlers get `c.var.http`, typed.
 * With `scope: 'request'` (default) each request gets a scope of the app client; with `'app'`,
 * every handler gets the app client.
 */
export function mooring<const Name extends string = 'http'>(
  options: MooringOptions<Name> = {},
): HonoMooring<Name> {
  return new HonoMooring(options)
}
