import { mooring } from '@mooring/fastify'
import Fastify from 'fastify'

interface SearchPage {
  results: Array<{ id: number; name: string }>
}

const app = Fastify()
await app.register(mooring, {
  baseUrl: process.env.TMDB_BASE_URL ?? 'https://api.themoviedb.org/3',
  headers: { authorization: `Bearer ${process.env.TMDB_API_KEY}` },
  timeout: { connect: 2_000, total: 10_000 },
  // Per request: TMDB sees the inbound x-request-id, and all of a request's calls get 8 s.
  propagate: ['x-request-id'],
  deadline: 8_000,
})

app.get<{ Querystring: { q?: string } }>('/movies/search', async (request, reply) => {
  const q = request.query.q?.trim()
  if (!q) return reply.code(400).send({ error: 'q is required' })
  // request.http: this request's client, a scope of the app's pooled client.
  const found = await request.http.get('/search/tv', { query: { query: q }, raiseForStatus: true })
  const page = await found.json<SearchPage>()
  return page.results.map((show) => ({ id: show.id, title: show.name }))
})

await app.listen({ port: Number(process.env.PORT ?? 3000) })
// app.close() stops taking requests, lets those in flight finish, then closes the client.
process.once('SIGTERM', () => void app.close())
