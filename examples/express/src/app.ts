import { type ClientOptions, MooringError } from '@mooring/core'
import { type ExpressMooring, mooring } from '@mooring/express'
import express, { type ErrorRequestHandler, type Express } from 'express'
import { showsService, upstreamFailure } from './shows.js'

export interface AppOptions {
  /** TMDB's base URL (`https://api.themoviedb.org/3`) and API Read Access Token. */
  tmdb: { baseUrl: string; apiKey: string }
  /** `'request'` (default): each request gets a scope of the app client. `'app'`: they share it. */
  scope?: 'app' | 'request'
  /** Where the client sends instead of a pool of its own (tests pass a `mockTransport`). */
  transport?: ClientOptions['transport']
}

export function createApp({ tmdb, scope = 'request', transport }: AppOptions): {
  app: Express
  http: ExpressMooring
} {
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
  const shows = showsService(http) // http.current(): the request's client, found without req

  const app = express()
  app.use(http.middleware)
  app.get('/movies/search', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim() : ''
    if (q === '') {
      res.status(400).json({ error: 'q is required' })
      return
    }
    res.json(await shows.search(q))
  })
  app.use(upstreamErrors)
  // #endregion app
  return { app, http }
}

const upstreamErrors: ErrorRequestHandler = (err, _req, res, next) => {
  if (!(err instanceof MooringError)) {
    next(err)
    return
  }
  const { status, body } = upstreamFailure(err)
  res.status(status).json(body)
}
