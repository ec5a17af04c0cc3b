import { mooring } from '@mooring/express'
import express from 'express'

interface SearchPage {
  results: Array<{ id: number; name: string }>
}

const tmdb = mooring({
  baseUrl: process.env.TMDB_BASE_URL ?? 'https://api.themoviedb.org/3',
  headers: { authorization: `Bearer ${process.env.TMDB_API_KEY}` },
  timeout: { connect: 2_000, total: 10_000 },
  // Per request: TMDB sees the inbound x-request-id, and all of a request's calls get 8 s.
  propagate: ['x-request-id'],
  deadline: 8_000,
  // current() finds the request's client without req (AsyncLocalStorage; off by default).
  context: true,
})

const app = express()
app.use(tmdb.middleware)
app.get('/movies/search', async (req, res) => {
  const q = typeof req.query.q === 'string' ? req.query.q.trim() : ''
  if (q === '') {
    res.status(400).json({ error: 'q is required' })
    return
  }
  // current(): this request's client (also req.http), found without passing req around.
  const found = await tmdb.current().get('/search/tv', { query: { query: q }, raiseForStatus: true })
  const page = await found.json<SearchPage>()
  res.json(page.results.map((show) => ({ id: show.id, title: show.name })))
})

// closeWith: the client is closed once the server has closed, after its in-flight requests.
const server = tmdb.closeWith(app.listen(Number(process.env.PORT ?? 3000)))
process.once('SIGTERM', () => server.close())
