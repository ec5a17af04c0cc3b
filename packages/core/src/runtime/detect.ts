import { Agent, Dispatcher } from 'undici'

/** Why requests go through the runtime's `fetch` rather than an undici pool: the runtime's name. */
export type FetchReason = string

let detected: FetchReason | null | undefined

/**
 * The runtime, when undici's Agent cannot send there, else null. Looked at once (on the first
 * client made), from what the runtime shows rather than a list of versions: workerd says who it is
 * in `navigator.userAgent` (its node:net has no sockets to 127.0.0.1 or the wider network that undici
 * could use); Bun resolves `undici` to a shim of its own whose Agent has no `dispatch` and whose
 * Dispatcher no `compose`. Deno and Node run the real undici, and keep the pooled path.
 */
export function fetchOnlyRuntime(): FetchReason | null {
  if (detected === undefined) detected = detect()
  return detected
}

const g = globalThis as { navigator?: { userAgent?: unknown }; Bun?: unknown }

/** workerd: a timer belongs to the request that set it, and is cancelled when that request ends. */
export function timersEndWithRequest(): boolean {
  return g.navigator?.userAgent === 'Cloudflare-Workers'
}

function detect(): FetchReason | null {
  if (timersEndWithRequest()) return 'Cloudflare Workers (workerd)'
  const agentDispatch = (Agent as { prototype?: { dispatch?: unknown } } | undefined)?.prototype?.dispatch
  const compose = (Dispatcher as { prototype?: { compose?: unknown } } | undefined)?.prototype?.compose
  if (typeof agentDispatch === 'function' && typeof compose === 'function') return null
  return g.Bun !== undefined ? 'Bun' : 'this runtime (its undici has no working Agent)'
}
