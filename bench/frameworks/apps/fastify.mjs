// Fastify 5: `app.register(mooring, opts)` and `request.http`, against the same route on plain undici.
import { importFrom } from '../../lib/resolve.mjs'
import { handPool, pluginOptions } from './hand.mjs'

export async function start({ variant, upstreamUrl, connections }) {
  const { default: Fastify } = await importFrom('fastify', 'fastify')
  const app = Fastify({ logger: false })
  if (variant === 'hand') {
    const upstream = await handPool(upstreamUrl, connections)
    app.addHook('onClose', () => upstream.close())
    app.get('/proxy', () => upstream.fetchJson())
  } else {
    const { mooring } = await import('@mooring/fastify')
    await app.register(mooring, pluginOptions(variant, upstreamUrl, connections))
    app.get('/proxy', async (request) => await (await request.http.get('/json')).json())
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    port: app.server.address().port,
    close: () => app.close(),
  }
}
