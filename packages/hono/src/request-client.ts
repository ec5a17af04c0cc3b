import type { Registration, MooringClient } from '@mooring/core'
import type { Context, Next } from 'hono'
import { nodeExchangeOf } from './node-exchange.js'
import { releaseAtEnd } from './release-at-end.js'

/**
 * Runs the rest of the chain with a client of its own for this request, set by `attach` and
 * current for `registration.current()`, and closes it once the response is done, however it ended.
 */
export function withRequestClient(
  c: Context,
  next: Next,
  registration: Registration,
  attach: (c: Context, client: MooringClient) => void,
): Promise<void> {
  const exchange = nodeExchangeOf(c.env)
  if (exchange === undefined) return fetched(c, next, registration, attach)
  // On @hono/node-server: `openExchange` releases the client when the node:http response closes,
  // however the chain ended (a failed chain's 500 closes it too), and from the start: a response can
  // be done while the handler still runs (hono's timeout() answered), and then what the handler has
  // in flight is aborted. So nothing to wait for here: the chain's own promise, no layer over it.
  const client = registration.openExchange(exchange.incoming, exchange.outgoing)
  attach(c, client)
  return registration.run(client, next)
}

/**
 * Elsewhere (other runtimes, `app.request()`, core's `appTransport`): released when the response
 * body has been read to the end or cancelled, or when the request is aborted (nobody reads then).
 */
async function fetched(
  c: Context,
  next: Next,
  registration: Registration,
  attach: (c: Context, client: MooringClient) => void,
): Promise<void> {
  const { headers, signal } = c.req.raw
  const client = registration.open({ headers, signal })
  const release = releaser(registration, client, signal, ON_WORKERS ? waitUntilOf(c) : undefined)
  attach(c, client)
  try {
    await registration.run(client, next)
    const body = c.res.body
    // A body someone else is already reading cannot be followed: its end is theirs to see.
    if (body !== null && !body.locked && !signal.aborted) {
      c.res = new Response(releaseAtEnd(body, release), c.res)
      signal.addEventListener('abort', release, { once: true })
      return
    }
  } catch (err) {
    release()
    throw err
  }
  release()
}

function releaser(
  registration: Registration,
  client: MooringClient,
  signal: AbortSignal,
  waitUntil: ((promise: Promise<unknown>) => void) | undefined,
): () => void {
  const release = (): void => {
    signal.removeEventListener('abort', release)
    // Teardown runs outside the request's promise chain: a failure is reported, never thrown.
    const closing = registration.release(client).catch(warnReleaseFailed)
    // A Worker's request ends with its response: what it still has to do must be handed over.
    waitUntil?.(closing)
  }
  return release
}

/** Cloudflare Workers, where work left after the response must go to `executionCtx.waitUntil`. */
const ON_WORKERS =
  (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent === 'Cloudflare-Workers'

/** The request's `executionCtx.waitUntil`; hono's getter throws where the app was given none. */
function waitUntilOf(c: Context): ((promise: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx
    return (promise) => ctx.waitUntil(promise)
  } catch {
    return undefined
  }
}

function warnReleaseFailed(err: unknown): void {
  process.emitWarning(`a request's Mooring client failed to close: ${describe(err)}`, {
    code: 'MOORING_RELEASE_FAILED',
  })
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
