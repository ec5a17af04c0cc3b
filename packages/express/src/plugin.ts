import {
  ConfigError,
  type MooringClient,
  Registration,
  RegistrationNames,
  RegistrationHandle,
  type RegistrationOptions,
} from '@mooring/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { claimRequestProperty } from './request-property.js'

declare global {
  namespace Express {
    interface Request {
      /**
       * The client of the `mooring()` registration with the default name: the request's scope, or
       * the app client. Read on a request its middleware did not see, it throws a MooringError
       * (`MOORING_NOT_BOUND`) naming the missing `app.use(http.middleware)`.
       */
      http: MooringClient
    }
    interface Locals {
      /** The same client as `req.http`, for views and later middleware. */
      http: MooringClient
    }
  }
}

/** Every core client and registration option; `name` is kept literal so `req[name]` agrees in types. */
export interface MooringExpressOptions<Name extends string = 'http'> extends RegistrationOptions {
  name?: Name
}

/**
 * One registration of Mooring in an Express app. Mount `middleware`, read the client from
 * `req[name]` (or `current()` where there is no `req`); `closeWith(server)` closes it with the server.
 */
export class ExpressMooring<Name extends string = 'http'> extends RegistrationHandle<Name> {
  readonly #registration: Registration
  /** Where the middleware keeps a request's client; `req[name]` reads it (see request-property.ts). */
  readonly #slot: symbol

  constructor(options: MooringExpressOptions<Name> = {}) {
    const name = options?.name ?? 'http'
    // Before the registration, which creates the pool: a registration that fails leaves nothing open.
    const slot =
      typeof name === 'string' && IDENTIFIER.test(name) ? claimRequestProperty(name) : Symbol('unclaimed')
    const registration = new Registration(options, { names: EXPRESS_NAMES, requestClient: requestProperty })
    super(registration)
    this.#registration = registration
    this.#slot = slot
  }

  /**
   * Gives each request its client on `req[name]` and `res.locals[name]`, and runs the rest of the
   * chain with it as `current()`. In request scope the client is closed when the response is done or
   * the connection drops, whatever the handler did; a dropped connection aborts its calls first.
   */
  readonly middleware: RequestHandler = (req: Request, res: Response, next: NextFunction): void => {
    const registration = this.#registration
    const slots = req as unknown as Record<symbol, MooringClient | undefined>
    const existing = slots[this.#slot]
    // Mounted twice on one route (app and router): the request keeps the client it already has.
    // Without a context (the default) the slot, this registration's own, is the only witness.
    if (existing !== undefined && (!registration.context || existing === registration.current())) next()
    else if (existing !== undefined) {
      next(
        new ConfigError(
          'name',
          this.name,
          `a name no other middleware sets on req (req.${this.name} was set)`,
        ),
      )
    } else if (registration.mode === 'app') {
      slots[this.#slot] = registration.client
      res.locals[this.name] = registration.client
      next()
    } else {
      let client: MooringClient
      try {
        // Released on the response's close, aborted with DownstreamClosedError if it closed unfinished.
        client = registration.openExchange(req, res)
      } catch (err) {
        next(err)
        return
      }
      slots[this.#slot] = client
      res.locals[this.name] = client
      registration.run(client, next)
    }
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** Where a handler finds the request's client, for the error `current()` throws with the context off. */
function requestProperty(name: string): string {
  return `req.${name}`
}

/** The names of this process's open Express registrations: `req` is one prototype for every app. */
const EXPRESS_NAMES = new RegistrationNames('mooring() registration of @mooring/express')

/**
 * Registers Mooring in an Express app: `app.use(http.middleware)`, then `req.http` in handlers.
 * Options are core's client options plus the registration's (`scope`, `name`, `pool`, `propagate`, …).
 */
export function mooring<const Name extends string = 'http'>(
  options?: MooringExpressOptions<Name>,
): ExpressMooring<Name> {
  return new ExpressMooring(options)
}
