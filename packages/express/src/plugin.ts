import { type BindingOptions, ClientBinding, MooringClient, MooringError } from '@mooring/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { checkRequestProperty } from './name.js'

declare global {
  namespace Express {
    interface Request {
      /** The client of the `mooring()` registration with the default name: the request's scope, or the app client. */
      http: MooringClient
    }
    interface Locals {
      /** The same client as `req.http`, for views and later middleware. */
      http: MooringClient
    }
  }
}

/** Every core client and binding option; `name` is kept literal so `from()` and `req[name]` agree in types. */
export interface MooringExpressOptions<Name extends string = 'http'> extends BindingOptions {
  name?: Name
}

/**
 * One registration of Mooring in an Express app: core's ClientBinding (the app client, `current()`,
 * `stats()`, `close()`, `closeWith(server)`) plus the Express glue. Mount `middleware`, read the
 * client from `req[name]` (or `from(req)`, or `current()` where there is no `req`).
 */
export class ExpressMooring<Name extends string = 'http'> extends ClientBinding {
  declare readonly name: Name

  constructor(options: MooringExpressOptions<Name> = {}) {
    // Before the binding, which creates the pool: a registration that fails leaves nothing open.
    if (typeof options?.name === 'string') checkRequestProperty(options.name)
    super(options)
  }

  /** The registration itself: kept so code written against `http.binding` goes on working. */
  get binding(): ClientBinding {
    return this
  }

  /**
   * Gives each request its client on `req[name]` and `res.locals[name]`, and runs the rest of the
   * chain with it as `current()`. In request scope the client is closed when the response is done or
   * the connection drops, whatever the handler did; a dropped connection aborts its calls first.
   */
  readonly middleware: RequestHandler = (req: Request, res: Response, next: NextFunction): void => {
    const existing = (req as unknown as Record<string, unknown>)[this.name]
    // Mounted twice on one route (app and router): the request keeps the client it already has.
    if (existing !== undefined && existing === this.current()) next()
    else if (existing !== undefined) {
      next(
        new MooringError(
          'MOORING_NAME_TAKEN',
          `req.${this.name} is already set: give each mooring() registration its own name`,
        ),
      )
    } else if (this.mode === 'app') {
      this.#attach(req, res, this.client)
      next()
    } else this.#openScope(req, res, next)
  }

  #openScope(req: Request, res: Response, next: NextFunction): void {
    let client: MooringClient
    try {
      // Released on the response's close, aborted with DownstreamClosedError if it closed unfinished.
      client = this.openExchange(req, res)
    } catch (err) {
      next(err)
      return
    }
    this.#attach(req, res, client)
    this.run(client, next)
  }

  #attach(req: Request, res: Response, client: MooringClient): void {
    ;(req as unknown as Record<string, unknown>)[this.name] = client
    res.locals[this.name] = client
  }

  /** The request's client, typed whatever the registration's name; throws if `middleware` did not run. */
  from(req: Request): MooringClient {
    const client = (req as unknown as Record<string, unknown>)[this.name]
    if (!(client instanceof MooringClient)) {
      throw new MooringError(
        'MOORING_NOT_BOUND',
        `no client for this request: mount the '${this.name}' middleware before the route`,
      )
    }
    return client
  }
}

/**
 * Registers Mooring in an Express app: `app.use(http.middleware)`, then `req.http` in handlers.
 * Options are core's client options plus the binding's (`scope`, `name`, `pool`, `propagate`, …).
 */
export function mooring<const Name extends string = 'http'>(
  options?: MooringExpressOptions<Name>,
): ExpressMooring<Name> {
  return new ExpressMooring(options)
}
