// Express 5: `mooring(opts).middleware` and `req.http`, against the same route on plain undici.
import { once } from 'node:events'
import { importFrom } from '../../lib/resolve.mjs'
import { handPool, pluginOptions } from './hand.mjs'

export async function start({ variant, upstreamUrl, connections }) {
  const { default: express } = await importFrom('express', 'express')
  const app = express()
  let closeClient
  if (variant === 'hand') {
    const upstream = await handPool(upstreamUrl, connections)
    app.get('/proxy', async (_req, res) => {
      res.json(await upstream.fetchJson())
    })
    closeClient = upstream.close
  } else {
    const { mooring } = await import('@mooring/express')
    const http = mooring(pluginOptions(variant, upstreamUrl, connections))
    app.use(http.middleware)
    app.get('/proxy', async (req, res) => {
      res.json(await (await req.http.get('/json')).json())
    })
    closeClient = () => http.close()
  }
  // What an app does with a failed call: a 502, and no stack on stderr. autocannon drops its
  // connections mid-request when a run ends, and a request scope aborts the calls they left.
  app.use((_err, _req, res, _next) => {
    if (!res.headersSent) res.status(502).end()
  })
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: server.address().port,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await closeClient()
    },
  }
}
