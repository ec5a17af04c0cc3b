import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClientBinding, MooringClient } from '@mooring/core'

/** The reason a request's calls are aborted with when its client goes away before the response is sent. */
export class DownstreamClosedError extends Error {
  constructor() {
    super('the downstream client closed the connection before the response was sent')
    this.name = 'DownstreamClosedError'
  }
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
    const downstream = new AbortController()
    const client = binding.open({ headers: req.headers, signal: downstream.signal, startedAt: Date.now() })
    this.#byRequest.set(req, client)
    const end = () => {
      if (!res.writableFinished) downstream.abort(new DownstreamClosedError())
      // A scope's close only aborts and releases: there is nothing to report, and no caller to report to.
      binding.release(client).catch(() => {})
    }
    // The connection may have dropped before the middleware ran: 'close' has then been emitted already.
    if (res.closed) end()
    else res.once('close', end)
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
