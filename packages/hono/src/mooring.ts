import {
  ConfigError,
  type MooringClient,
  Registration,
  RegistrationNames,
  RegistrationHandle,
  type RegistrationOptions,
} from '@mooring/core'
import type { Context, MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { withRequestClient } from './request-client.js'

/** The context variables one registration adds: `c.var.http`, or the configured name. */
export type MooringVariables<Name extends string = 'http'> = { [K in Name]: MooringClient }

/**
 * The hono `Env` of an app or route using a registration: `new Hono<MooringEnv>()`, or for several,
 * `new Hono<MooringEnv<'http' | 'billing'>>()`; chaining `.use(http.middleware)` types `c.var` too.
 */
export interface MooringEnv<Name extends string = 'http'> {
  Variables: MooringVariables<Name>
}

/** Every core client and registration option; `name` is kept literal to type `c.var`. */
export interface MooringOptions<Name extends string = 'http'> extends RegistrationOptions {
  /** The context variable handlers read (`c.var.http`). Default `http`. */
  name?: Name
}

type Slots = Record<symbol, MooringClient | undefined>

/** Where a handler finds the request's client, for the error `current()` throws with the context off. */
function contextVariable(name: string): string {
  return `c.var.${name}`
}

/** The names of this process's open hono registrations: hono never shows a middleware its app. */
const HONO_NAMES = new RegistrationNames('mooring() registration of @mooring/hono')

/**
 * One registration of Mooring in a hono app. Mount `middleware`, read the client from
 * `c.var[name]` (or `current()` where there is no `c`); `closeWith(server)` closes it with the server.
 */
export class HonoMooring<Name extends string = 'http'> extends RegistrationHandle<Name> {
  /**
   * Sets `c.var[name]` and runs the rest of the chain with it as `current()`. In request scope the
   * client is the request's own, aborted if the downstream client goes away and closed once the
   * response is done: sent, streamed to its end, cancelled, or failed.
   */
  readonly middleware: MiddlewareHandler<MooringEnv<Name>>

  constructor(options: MooringOptions<Name> = {}) {
    const registration = new Registration(options, { names: HONO_NAMES, requestClient: contextVariable })
    super(registration)
    const name = registration.name as Name
    // Where the request's Context keeps the client this registration gave it: c.var is anyone's to
    // set, and without a context current() cannot say which client is this request's.
    const slot = Symbol('mooring.hono.client')
    const attach = (c: Context, client: MooringClient): void => {
      c.set(name, client)
      ;(c as unknown as Slots)[slot] = client
    }
    this.middleware = createMiddleware<MooringEnv<Name>>(async (c, next) => {
      const existing = c.get(name)
      if (existing !== undefined) {
        // Mounted twice on one route: the request keeps the client this registration gave it.
        if (existing !== (c as unknown as Slots)[slot]) {
          throw new ConfigError(
            'name',
            name,
            `a name no other middleware sets on c.var (c.var.${name} was set)`,
          )
        }
        await next()
        return
      }
      // Awaited, not returned: next() resolves to hono's Context, which compose would take for a response.
      if (registration.mode === 'request') await withRequestClient(c, next, registration, attach)
      else {
        attach(c, registration.client)
        await next()
      }
    })
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
