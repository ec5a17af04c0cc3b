import {
  type BindingOptions,
  type BindingStats,
  type ClientBinding,
  type CloseOptions,
  createBinding,
  type MooringClient,
} from '@mooring/core'
import type { Context, MiddlewareHandler, Next } from 'hono'
import { createMiddleware } from 'hono/factory'
import { NodeExchange } from './node-exchange.js'
import { releaseAtEnd } from './release-at-end.js'

/** The context variables one registration adds: `c.var.http`, or the configured name. */
export type MooringVariables<Name extends string = 'http'> = { [K in Name]: MooringClient }

/** The hono `Env` of an app or route using a registration: `new Hono<MooringEnv>()`. */
export interface MooringEnv<Name extends string = 'http'> {
  Variables: MooringVariables<Name>
}

/** Every core client and binding option (see `BindingOptions` in @mooring/core); `name` types `c.var`. */
export interface MooringOptions<Name extends string = 'http'> extends BindingOptions {
  /** The context variable handlers read (`c.var.http`). Default `http`. */
  name?: Name
}

/** One registration of Mooring in a hono app. */
export interface HonoMooring<Name extends string = 'http'> {
  readonly name: Name
  /** Sets `c.var[name]` to the request's client and closes it once the response is done. */
  readonly middleware: MiddlewareHandler<MooringEnv<Name>>
  /** The app client: one pool for the app's lifetime. */
  readonly client: MooringClient
  readonly binding: ClientBinding
  /** The current request's client inside a request (in services called without `c`); the app client outside. */
  current(): MooringClient
  stats(): BindingStats
  /** Shutdown: call once the server has stopped taking requests. Closes the app client and open scopes. */
  close(options?: CloseOptions): Promise<void>
}

/**
 * Registers Mooring in a hono app: `app.use(http.middleware)` and handlers get `c.var.http`, typed.
 * With `scope: 'request'` (default) each request gets a scope of the app client, aborted when the
 * downstream client goes away and closed once the response has been sent, streamed bodies included.
 */
export function mooring<const Name extends string = 'http'>(
  options: MooringOptions<Name> = {},
): HonoMooring<Name> {
  const binding = createBinding(options)
  const name = binding.name as Name
  const middleware =
    binding.mode === 'app' ? appMiddleware(name, binding.client) : requestMiddleware(name, binding)
  return {
    name,
    middleware,
    client: binding.client,
    binding,
    current: () => binding.current(),
    stats: () => binding.stats(),
    close: (closeOptions) => binding.close(closeOptions),
  }
}

type MooringContext<Name extends string> = Context<MooringEnv<Name>>

function appMiddleware<Name extends string>(
  name: Name,
  client: MooringClient,
): MiddlewareHandler<MooringEnv<Name>> {
  return createMiddleware<MooringEnv<Name>>(async (c, next) => {
    c.set(name, client)
    await next()
  })
}

function requestMiddleware<Name extends string>(
  name: Name,
  binding: ClientBinding,
): MiddlewareHandler<MooringEnv<Name>> {
  return createMiddleware<MooringEnv<Name>>((c, next) => {
    const exchange = NodeExchange.of(c.env)
    return exchange === undefined ? fetched(c, next, name, binding) : served(c, next, name, binding, exchange)
  })
}

/** On @hono/node-server: released when the node:http response closes. */
async function served<Name extends string>(
  c: MooringContext<Name>,
  next: Next,
  name: Name,
  binding: ClientBinding,
  exchange: NodeExchange,
): Promise<void> {
  const client = binding.open({ headers: exchange.headers, signal: exchange.signal })
  const release = releaser(binding, client)
  c.set(name, client)
  try {
    await binding.run(client, next)
  } catch (err) {
    release()
    throw err
  }
  exchange.whenDone(release)
}

/**
 * Elsewhere (other runtimes, `app.request()`, core's `appTransport`): released when the response
 * body has been read to the end or cancelled, or when the request is aborted (nobody reads then).
 */
async function fetched<Name extends string>(
  c: MooringContext<Name>,
  next: Next,
  name: Name,
  binding: ClientBinding,
): Promise<void> {
  const { headers, signal } = c.req.raw
  const client = binding.open({ headers, signal })
  const release = releaser(binding, client, signal)
  c.set(name, client)
  try {
    await binding.run(client, next)
  } catch (err) {
    release()
    throw err
  }
  const body = c.res.body
  if (body === null || signal.aborted) {
    release()
    return
  }
  c.res = new Response(releaseAtEnd(body, release), c.res)
  signal.addEventListener('abort', release, { once: true })
}

function releaser(binding: ClientBinding, client: MooringClient, signal?: AbortSignal): () => void {
  const release = (): void => {
    signal?.removeEventListener('abort', release)
    // Teardown runs outside the request's promise chain, so a rejection would be unhandled; closing
    // a scope only rejects when its pool was already destroyed, and then there is nothing left to do.
    binding.release(client).catch(() => {})
  }
  return release
}
