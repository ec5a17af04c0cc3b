import type { IncomingMessage, ServerResponse } from 'node:http'
import { ConfigError, type Registration, type MooringClient } from '@mooring/core'

type Slots = Record<symbol, MooringClient | undefined>

/**
 * Where Node's request carries the client of the registration `name`: one symbol per name (names
 * are unique within an app), known to `@RequestClient(name)` with no registry to look it up in.
 */
export function requestClientSlot(name: string): symbol {
  return Symbol.for(`@mooring/nest request client ${name}`)
}

/** The request's own (Node's, or the `raw` under Fastify's wrapper). */
function nodeRequest(request: unknown): Slots | null {
  if (request === null || typeof request !== 'object') return null
  const raw = (request as { raw?: unknown }).raw
  return (raw !== null && typeof raw === 'object' ? raw : request) as Slots
}

/**
 * The client the middleware of the registration `name` gave this request (`@RequestClient()`):
 * found on the request, so with no AsyncLocalStorage and no request-scoped provider.
 */
export function clientOnRequest(request: unknown, name: string): MooringClient {
  const client = nodeRequest(request)?.[requestClientSlot(name)]
  if (client !== undefined) return client
  throw new ConfigError(
    '@RequestClient',
    name,
    'the name of a MooringModule registration in request scope that this request went through (in app scope, @InjectClient() is the app client)',
  )
}

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
  readonly #slot: symbol

  constructor(registration: Registration) {
    this.registration = registration
    this.#slot = requestClientSlot(registration.name)
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
    const client = nodeRequest(request)?.[this.#slot]
    if (client !== undefined) return client
    const registration = this.registration
    return registration.context ? registration.current() : registration.client
  }
}
