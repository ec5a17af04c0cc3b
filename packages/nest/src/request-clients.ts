import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Registration, MooringClient } from '@mooring/core'

type Slots = Record<symbol, MooringClient | undefined>

/**
 * Node's side of one registration: a middleware that gives each inbound request its client and
 * releases it when the response closes, and the lookup from a request to that client.
 *
 * The middleware receives Node's own request and response on both platforms (Express's extend them,
 * Fastify's middie passes the raw ones), so `close` on the response covers a finished response, a
 * thrown handler and a client that went away alike.
 */
export class RequestClients {
  readonly registration: Registration
  /**
   * Where Node's request carries its client (one symbol per registration), so the client goes with
   * it and a lookup from Fastify's wrapper finds it. A property, not a WeakMap: an entry per request
   * in a WeakMap costs an ephemeron the GC has to walk.
   */
  readonly #slot = Symbol('mooring.nest.client')

  constructor(registration: Registration) {
    this.registration = registration
  }

  readonly middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    const registration = this.registration
    if (registration.mode === 'app') {
      next()
      return
    }
    // Released on the response's close, aborted with DownstreamClosedError if it closed unfinished.
    const client = registration.openExchange(req, res)
    ;(req as unknown as Slots)[this.#slot] = client
    registration.run(client, next)
  }

  /**
   * The client the middleware gave this request (Express's, Fastify's or Node's); else the current
   * one, which is the app client for a request the middleware did not see (and, with the context
   * off, where there is none to ask).
   */
  for(request: unknown): MooringClient {
    if (request !== null && typeof request === 'object') {
      const raw = (request as { raw?: unknown }).raw
      const client = ((raw !== null && typeof raw === 'object' ? raw : request) as Slots)[this.#slot]
      if (client !== undefined) return client
    }
    const registration = this.registration
    return registration.context ? registration.current() : registration.client
  }
}
