// One framework app in its own process, for autocannon to load: `server.mjs <framework> <variant>`.
// The route is GET /proxy: one call to the upstream's /json, its JSON sent back. Variants: `hand`
// (plain undici Pool.request, written by hand), `app` (the plugin, app scope), `request` (the
// plugin, a scope per request, the plugin's default `context`), `request-context` (the same with
// `context: true`), `request-param` (Nest: the request's client as a handler parameter,
// `@RequestClient()`, context off). The parent reads this process's CPU time around each run.
import { serve } from '../lib/ipc.mjs'

const [framework, variant, upstreamUrl, connections] = process.argv.slice(2)
const apps = {
  express: () => import('./apps/express.mjs'),
  fastify: () => import('./apps/fastify.mjs'),
  hono: () => import('./apps/hono.mjs'),
  nest: () => import('./apps/nest.mjs'),
}
if (apps[framework] === undefined) throw new Error(`unknown framework ${framework}`)
if (!['hand', 'app', 'request', 'request-context', 'request-param'].includes(variant))
  throw new Error(`unknown variant ${variant}`)

const { start } = await apps[framework]()
const app = await start({ variant, upstreamUrl, connections: Number(connections) })

serve(
  {
    cpu: () => process.cpuUsage(),
    close: () => app.close(),
  },
  { port: app.port },
)
