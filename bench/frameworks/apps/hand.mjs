// The handwritten side of every framework comparison: the call users write without a plugin, on a
// Pool created at start and closed at shutdown.
import { importFrom } from '../../lib/resolve.mjs'

/** A plain undici Pool to the upstream and the one call the route makes. */
export async function handPool(upstreamUrl, connections) {
  const { Pool } = await importFrom('core', 'undici')
  const pool = new Pool(upstreamUrl, { connections })
  return {
    async fetchJson() {
      const { body } = await pool.request({ path: '/json', method: 'GET' })
      return await body.json()
    },
    close: () => pool.close(),
  }
}

/** Client options every plugin variant gets: the same upstream and pool size as the hand route. */
export function pluginOptions(variant, upstreamUrl, connections) {
  if (variant === 'request-param') {
    return { baseUrl: upstreamUrl, limits: { connections }, scope: 'request', context: false }
  }
  if (variant === 'request-context') {
    return { baseUrl: upstreamUrl, limits: { connections }, scope: 'request', context: true }
  }
  return { baseUrl: upstreamUrl, limits: { connections }, scope: variant }
}
