import { type BindingOptions, ClientBinding, type MooringClient, MooringError } from '@mooring/core'
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

/**
 * One registration of Mooring in a hono app: core's ClientBinding (the app client, `current()`,
 * `stats()`, `close()`, `closeWith(server)`) plus the hono glue. Mount `middleware`, read the
 * client from `c.var[name]` (or `current()` where there is no `c`).
 */
export class HonoMooring<Name extends string = 'http'> extends ClientBinding {
  declare readonly name: Name
  /**
   * Sets `c.var[name]` and runs the rest of the chain with it as `current()`. In request scope the
   * client is the request's own, aborted if the downstream client goes away and closed once the
   * response is done: sent, streamed to its end, cancelled, or failed.
   */
  readonly middleware: MiddlewareHandler<MooringEnv<Name>>

  constructor(options: MooringOptions<Name> = {}) {
    super(options)
    const attach = (c: Context, client: MooringClient): void => {
      c.set(this.name, client)
    }
    this.middleware = createMiddleware<MooringEnv<Name>>(async (c, next) => {
      const existing = c.get(this.name)
      if (existing !== undefined) {
        // Mounted twice on one route: the request keeps the client this registration gave it.
        if (existing !== this.current()) {
          throw new MooringError(
            'MOORING_NAME_TAKEN',
            `c.var.${this.name} is already set: give each mooring() registration its own name`,
          )
        }
        await next()
        return
      }
      if (this.mode === 'request') {
        await withRequestClient(c, next, this, (client) => attach(c, client))
        return
      }
      attach(c, this.client)
      await next()
    })
  }

  /** The registration itself: kept so code written against `http.binding` goes on working. */
  get binding(): ClientBinding {
    return this
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
