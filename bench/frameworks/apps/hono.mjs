// Hono 4 on @hono/node-server: `mooring(opts).middleware` and `c.var.http`, against the same route
// on plain undici.
import { importFrom } from '../../lib/resolve.mjs'
import { handPool, pluginOptions } from './hand.mjs'

export async function start({ variant, upstreamUrl, connections }) {
  const { Hono } = await importFrom('hono', 'hono')
  const { serve } = await importFrom('hono', '@hono/node-server')
  const app = new Hono()
  let closeClient
  if (variant === 'hand') {
    const upstream = await handPool(upstreamUrl, connections)
    app.get('/proxy', async (c) => c.json(await upstream.fetchJson()))
    closeClient = upstream.close
  } else {
    const { mooring } = await import('@mooring/hono')
    const http = mooring(pluginOptions(variant, upstreamUrl, connections))
    app.use(http.middleware)
    app.get('/proxy', async (c) => c.json(await (await c.var.http.get('/json')).json()))
    closeClient = () => http.close()
  }
  // A failed call (the downstream went away and its scope aborted it) answers 502, quietly.
  app.onError((_err, c) => c.body(null, 502))
  const { server, port } = await new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ server, port: info.port }),
    )
  })
  return {
    port,
    async close() {
      server.closeAllConnections?.()
      await new Promise((resolve) => server.close(resolve))
      await closeClient()
    },
  }
}
