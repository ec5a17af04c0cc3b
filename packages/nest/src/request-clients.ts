import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClientBinding, MooringClient } from '@mooring/core'

/**
 * Node's side of one registration: a middleware that gives each inbound request its client and
 * releases it when the response closes, and the lookup from a request to that client.
 *
 * The middleware receives Node's own request and response on both platforms (Express's extend them,
 * Fastify's middie passes the raw ones), so `close` on the response covers a finished response, a
 * thrown handler and a client that went away alike.
 */
export class RequestClients {
  readonly binding: ClientBinding
  // Keyed by Node's request, so the client goes with it and a lookup from Fastify's wrapper finds it.
  readonly #byRequest = new WeakMap<object, MooringClient>()

  constructor(binding: ClientBinding) {
    this.binding = binding
  }

  readonly middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    const binding = this.binding
    if (binding.mode === 'app') {
      next()
      return
    }
    // Released on the response's close, aborted with DownstreamClosedError if it closed unfinished.
    const client = binding.openExchange(req, res)
    this.#byRequest.set(req, client)
    binding.run(client, next)
  }

  /** The client the middleware gave this request (Express's, Fastify's or Node's); else the current one. */
  for(request: unknown): MooringClient {
    if (request !== null && typeof request === 'object') {
      const raw = (request as { raw?: unknown }).raw
      const client = this.#byRequest.get(raw !== null && typeof raw === 'object' ? raw : request)
      if (client !== undefined) return client
    }
    return this.binding.current()
  }
}
