import { serve } from '@hono/node-server'
import { mooring } from '@mooring/hono'
import { Hono } from 'hono'

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
})

const app = new Hono().use(tmdb.middleware).get('/movies/search', async (c) => {
  const q = c.req.query('q')?.trim()
  if (!q) return c.json({ error: 'q is required' }, 400)
  // c.var.http: this request's client, a scope of the app's pooled client.
  const found = await c.var.http.get('/search/tv', { query: { query: q }, raiseForStatus: true })
  const page = await found.json<SearchPage>()
  return c.json(page.results.map((show) => ({ id: show.id, title: show.name })))
})

// closeWith: the client is closed once the server has closed, after its in-flight requests.
const server = tmdb.closeWith(serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }))
process.once('SIGTERM', () => server.close())
