import type { NodeIncoming, NodeOutgoing } from '@mooring/core'

/**
 * The node:http request and response behind a request served by @hono/node-server, which passes
 * them as `c.env.incoming` / `c.env.outgoing` (its `HttpBindings`); undefined on other runtimes.
 * Following the response's `close` (core's `Registration.openExchange`), rather than `c.req.raw.signal`
 * and `c.res.body`, keeps node-server's fast path: reading either materialises its lazy
 * Request/Response, which costs about a third of the throughput of a small JSON route.
 */
export function nodeExchangeOf(env: unknown): { incoming: NodeIncoming; outgoing: NodeOutgoing } | undefined {
  if (env === null || typeof env !== 'object') return undefined
  const { incoming, outgoing } = env as { incoming?: unknown; outgoing?: unknown }
  if (!isNodeIncoming(incoming) || !isNodeOutgoing(outgoing)) return undefined
  return { incoming, outgoing }
}

function isNodeIncoming(value: unknown): value is NodeIncoming {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as NodeIncoming).headers === 'object' &&
    (value as NodeIncoming).headers !== null
  )
}

function isNodeOutgoing(value: unknown): value is NodeOutgoing {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as NodeOutgoing).on === 'function' &&
    typeof (value as NodeOutgoing).closed === 'boolean' &&
    typeof (value as NodeOutgoing).writableFinished === 'boolean'
  )
}
