import type { Server } from 'node:net'
import {
  type BindingOptions,
  type BindingStats,
  ClientBinding,
  type CloseOptions,
  MooringError,
  type MooringClient,
} from '@mooring/core'
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
 * One registration of Mooring in an Express app. Mount `middleware`, read the client from
 * `req[name]` (or `from(req)`, or `current()` where there is no `req`), close it with the server.
 */
export class ExpressMooring<Name extends string = 'http'> {
  readonly name: Name
  /** The core registration: lifecycle, AsyncLocalStorage and stats live there. */
  readonly binding: ClientBinding
  readonly #clients = new WeakMap<Request, MooringClient>()

  constructor(options: MooringExpressOptions<Name> = {}) {
    // Before the binding, which creates the pool: a registration that fails leaves nothing open.
    if (typeof options?.name === 'string') checkRequestProperty(options.name)
    this.binding = new ClientBinding(options)
    this.name = this.binding.name as Name
  }

  /** The app client: one pool for the app's lifetime. */
  get client(): MooringClient {
    return this.binding.client
  }

  /**
   * Gives each request its client on `req[name]` and `res.locals[name]`, and runs the rest of the
   * chain with it as `current()`. In request scope the client is closed when the response is done or
   * the connection drops, whatever the handler did; a dropped connection aborts its calls first.
   */
  readonly middleware: RequestHandler = (req: Request, res: Response, next: NextFunction): void => {
    // Mounted twice on one route (app and router): the request keeps the client it already has.
    if (this.#clients.has(req)) next()
    else if ((req as unknown as Record<string, unknown>)[this.name] !== undefined) {
      next(
        new MooringError(
          'MOORING_NAME_TAKEN',
          `req.${this.name} is already set: give each mooring() registration its own name`,
        ),
      )
    } else if (this.binding.mode === 'app') {
      this.#attach(req, res, this.binding.client)
      next()
    } else this.#openScope(req, res, next)
  }

  #openScope(req: Request, res: Response, next: NextFunction): void {
    const binding = this.binding
    let client: MooringClient
    try {
      // Released on the response's close, aborted with DownstreamClosedError if it closed unfinished.
      client = binding.openExchange(req, res)
    } catch (err) {
      next(err)
      return
    }
    this.#attach(req, res, client)
    binding.run(client, next)
  }

  #attach(req: Request, res: Response, client: MooringClient): void {
    this.#clients.set(req, client)
    ;(req as unknown as Record<string, unknown>)[this.name] = client
    res.locals[this.name] = client
  }

  /** The request's client, typed whatever the registration's name; throws if `middleware` did not run. */
  from(req: Request): MooringClient {
    const client = this.#clients.get(req)
    if (client === undefined) {
      throw new MooringError(
        'MOORING_NOT_BOUND',
        `no client for this request: mount the '${this.name}' middleware before the route`,
      )
    }
    return client
  }

  /** The current request's client inside a request (services with no `req`); the app client outside. */
  current(): MooringClient {
    return this.binding.current()
  }

  stats(): BindingStats {
    return this.binding.stats()
  }

  /** Closes the app client (unless it was given) after its in-flight calls drain, and any request client still open. Idempotent. */
  close(options?: CloseOptions): Promise<void> {
    return this.binding.close(options)
  }

  /** Closes the registration once `server` has closed (after its in-flight requests): `const server = http.closeWith(app.listen(port))`. */
  closeWith<S extends Server>(server: S): S {
    return this.binding.closeWith(server)
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
