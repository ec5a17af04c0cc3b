// `pnpm start` in this folder: the app on PORT (default 3000), against fake-tmdb unless
// TMDB_BASE_URL and TMDB_API_KEY are set; SCOPE=app|request picks how handlers get their client.
// SIGTERM or SIGINT closes the app, then the client (Nest's shutdown hooks).
import { tmdbFromEnv } from '@mooring/example-fake-tmdb'
import { startServer } from './server.js'

const tmdb = await tmdbFromEnv()
const scope = (process.env.SCOPE || undefined) as 'app' | 'request' | undefined
const server = await startServer({ tmdb, scope, port: Number(process.env.PORT ?? 3000), logger: true })
console.log(`nest example (${scope ?? 'request'} scope) on ${server.url}, TMDB at ${tmdb.baseUrl}`)
console.log(`try: curl '${server.url}/movies/search?q=harbor'`)
