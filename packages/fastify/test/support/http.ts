import Fastify, { type FastifyInstance } from 'fastify'
import { closeWhenDone } from '../../../core/test/support/fixtures.js'
import { urlOf } from '../../../core/test/support/http.js'

/** A Fastify instance, closed when the test finishes (again, if the test closed it). */
export function fastify(): FastifyInstance {
  return closeWhenDone(Fastify())
}

/** Listens on an ephemeral port of 127.0.0.1 and returns the app's base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return urlOf(app.server)
}
