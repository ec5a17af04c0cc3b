import type { Registration, MooringClient } from '@mooring/core'
import type { FastifyInstance } from 'fastify'

type Decorated = Record<string | symbol, unknown>

/**
 * Gives each request its own client (a scope of the app client) and closes it when the response is
 * done, however it ended: sent, failed, timed out, or cut off by the client.
 */
export function addRequestHooks(app: FastifyInstance, registration: Registration): void {
  // Fastify 5: no reference types on the request prototype; decorate with null and assign per request.
  app.decorateRequest(registration.name, null)

  app.addHook('onRequest', function openRequestClient(request, reply, done) {
    let client: MooringClient
    try {
      // Released on the raw response's close (sent, failed, timed out, cut off or hijacked: no path
      // leaves a scope open), aborted with DownstreamClosedError if it closed unfinished. Not
      // request.signal: in Fastify 5 it also fires once a request body has been read
      // (fastify/fastify#6725).
      client = registration.openExchange(request.raw, reply.raw)
    } catch (err) {
      done(err as Error)
      return
    }
    ;(request as unknown as Decorated)[registration.name] = client
    // The rest of the request (hooks, body parsing, handler) runs inside this context: Fastify
    // carries it across body parsing itself (fastify/fastify#3570), so services reach the request's
    // client through app.mooring.current().
    registration.run(client, done)
  })
}
