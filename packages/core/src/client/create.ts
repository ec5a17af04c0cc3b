import type { ClientConfig, ClientOptions } from '../config/options.js'
import { resolveClient } from '../config/options.js'
import { rootScope } from '../config/scope.js'
import { hedgeMiddleware } from '../features/hedge.js'
import { MiddlewareChain } from '../middleware/chain.js'
import { observeChannels } from '../observe/channels.js'
import { markRunsUserCode } from '../observe/context.js'
import { FetchDispatcher } from '../runtime/fetch-dispatcher.js'
import { MooringClient } from './client.js'
import { createOwnedDispatcher } from './dispatcher.js'
import { Origins } from './origins.js'
import { trackUnclosed } from './unclosed.js'

/**
 * The app's middleware, then the built-in pieces that are on, innermost last: hedging (each hedge a
 * whole call), then cookies (each hedge gets the jar's cookies and feeds it).
 */
function withBuiltInMiddleware(config: ClientConfig, origins: Origins): ClientConfig {
  const { middleware, hedge, cookies } = config
  if (hedge === null && cookies === null) return config
  const list = [...middleware]
  if (hedge !== null) list.push(hedgeMiddleware(hedge, (origin) => origins.get(origin)))
  if (cookies !== null) list.push(cookies)
  return { ...config, middleware: list }
}

/**
 * Creates a client that owns a connection pool (or sends through `transport`). Close it at shutdown.
 * Where undici's Agent cannot run (Bun, Cloudflare Workers) it sends through the runtime's `fetch`.
 * The options go one way down: resolveClient (config/options.ts) → rootScope (config/scope.ts) →
 * createOwnedDispatcher (client/dispatcher.ts); each call then planRequest (config/plan.ts) → Call.
 */
export function createClient(options: ClientOptions = {}): MooringClient {
  const config = resolveClient(options)
  const dispatcher =
    config.transport ?? (config.fetchPath === null ? createOwnedDispatcher(config) : new FetchDispatcher())
  const origins = new Origins(config)
  const withBuiltIns = withBuiltInMiddleware(config, origins)
  const client = new MooringClient(
    origins,
    null,
    rootScope(withBuiltIns, dispatcher, MiddlewareChain.of(withBuiltIns.middleware)),
  )
  if (config.transport === undefined) trackUnclosed(client, 'client')
  // A given transport is the user's code: its calls keep their context for every attempt.
  else markRunsUserCode(config.transport)
  if (observeChannels.client.hasSubscribers) observeChannels.client.publish({ client })
  return client
}
