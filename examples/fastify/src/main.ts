// `pnpm start` in this folder: the app on PORT (default 3000), against fake-tmdb unless
// TMDB_BASE_URL and TMDB_API_KEY are set; SCOPE=app|request picks how handlers get their client.
import { tmdbFromEnv } from '@mooring/example-fake-tmdb'
import { startServer } from './server.js'

const tmdb = await tmdbFromEnv()
const scope = (process.env.SCOPE || undefined) as 'app' | 'request' | undefined
const server = await startServer({ tmdb, scope, port: Number(process.env.PORT ?? 3000) })
console.log(`fastify example (${scope ?? 'request'} scope) on ${server.url}, TMDB at ${tmdb.baseUrl}`)
console.log(`try: curl '${server.url}/movies/search?q=harbor'`)

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, async () => {
    await server.close()
    await tmdb.close()
    const { scopesOpened, scopesClosed } = server.stats()
    console.log(`closed on ${signal}: server, client (${scopesClosed}/${scopesOpened} scopes closed)`)
  })
}
