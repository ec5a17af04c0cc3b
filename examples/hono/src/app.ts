import { type ClientOptions, MooringError } from '@mooring/core'
import { mooring } from '@mooring/hono'
import { Hono } from 'hono'
import { showsService, upstreamFailure } from './shows.js'

export interface AppOptions {
  /** TMDB's base URL (`https://api.themoviedb.org/3`) and API Read Access Token. */
  tmdb: { baseUrl: string; apiKey: string }
  /** `'request'` (default): each request gets a scope of the app client. `'app'`: they share it. */
  scope?: 'app' | 'request'
  /** Where the client sends instead of a pool of its own (tests pass a `mockTransport`). */
  transport?: ClientOptions['transport']
}

export function createApp({ tmdb, scope = 'request', transport }: AppOptions) {
  // #region app
  const http = mooring({
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
  const shows = showsService(http) // http.current(): the request's client, found without c

  const app = new Hono()
    .use(http.middleware)
    .get('/movies/search', async (c) => {
      const q = c.req.query('q')?.trim()
      if (!q) return c.json({ error: 'q is required' }, 400)
      return c.json(await shows.search(q))
    })
    .onError((err, c) => {
      if (!(err instanceof MooringError)) return c.json({ error: 'internal error' }, 500)
      const { status, body } = upstreamFailure(err)
      return c.json(body, status)
    })
  // #endregion app
  return { app, http }
}
