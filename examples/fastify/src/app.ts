import { type ClientOptions, MooringError } from '@mooring/core'
import { mooring } from '@mooring/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { showsService, upstreamFailure } from './shows.js'

export interface AppOptions {
  /** TMDB's base URL (`https://api.themoviedb.org/3`) and API Read Access Token. */
  tmdb: { baseUrl: string; apiKey: string }
  /** `'request'` (default): each request gets a scope of the app client. `'app'`: they share it. */
  scope?: 'app' | 'request'
  /** Where the client sends instead of a pool of its own (tests pass a `mockTransport`). */
  transport?: ClientOptions['transport']
}

export async function createApp({
  tmdb,
  scope = 'request',
  transport,
}: AppOptions): Promise<FastifyInstance> {
  // #region app
  const app = Fastify()
  await app.register(mooring, {
    scope,
    baseUrl: tmdb.baseUrl,
    headers: { authorization: `Bearer ${tmdb.apiKey}` },
    timeout: { connect: 2_000, total: 10_000 },
    // Per request only: TMDB sees the inbound x-request-id; all of a request's calls get 8 s.
    ...(scope === 'request' && { propagate: ['x-request-id'], deadline: 8_000 }),
    // The service below finds the request's client with current(), which needs the context on.
    context: true,
    transport,
  })
  const shows = showsService(app.mooring) // app.mooring.current(): the request's client, found without request

  app.get<{ Querystring: { q: string } }>(
    '/movies/search',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { q: { type: 'string', pattern: '\\S' } },
          required: ['q'],
        },
      },
    },
    async (request) => shows.search(request.query.q.trim()),
  )
  app.setErrorHandler((err, _request, reply) => {
    if (!(err instanceof MooringError)) throw err
    const { status, body } = upstreamFailure(err)
    return reply.code(status).send(body)
  })
  // #endregion app
  return app
}
