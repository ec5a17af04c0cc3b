import type { ClientBinding, MooringClient } from '@mooring/core'
import type { FastifyInstance } from 'fastify'

type Decorated = Record<string | symbol, unknown>

/** The reason a request client is aborted with when the downstream client goes away mid-request. */
export class DownstreamClosedError extends Error {
  override name = 'DownstreamClosedError'
  constructor() {
    super('the downstream connection closed before the response was sent')
  }
}

/**
 * Gives each request its own client (a scope of the app client) and closes it when the response is
 * done, however it ended: sent, failed, timed out, or cut off by the client.
 */
export function addRequestHooks(app: FastifyInstance, binding: ClientBinding): void {
  // Fastify 5: no reference types on the request prototype; decorate with null and assign per request.
  app.decorateRequest(binding.name, null)

  app.addHook('onRequest', function openRequestClient(request, reply, done) {
    const res = reply.raw
    // Not request.signal: in Fastify 5 it also fires when a request body has been read in full
    // (fastify/fastify#6725). A response closed before it finished is what a disconnect looks like.
    const downstream = new AbortController()
    let client: MooringClient
    try {
      client = binding.open({ headers: request.headers, signal: downstream.signal })
    } catch (err) {
      done(err as Error)
      return
    }
    ;(request as unknown as Decorated)[binding.name] = client
    const teardown = () => {
      if (!res.writableFinished) downstream.abort(new DownstreamClosedError())
      binding.release(client).catch((err: unknown) => {
        request.log.error({ err }, '@mooring/fastify: closing the request client failed')
      })
    }
    // The raw response's close, not onResponse: it also fires when the connection is cut or the
    // reply hijacked, so no path leaves a scope open.
    if (res.closed) teardown()
    else res.once('close', teardown)
    // The rest of the request (hooks, body parsing, handler) runs inside this context: Fastify
    // carries it across body parsing itself (fastify/fastify#3570), so services reach the request's
    // client through app.mooring.current().
    binding.run(client, done)
  })
}
