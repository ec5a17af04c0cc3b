import { AsyncResource } from 'node:async_hooks'
import diagnosticsChannel from 'node:diagnostics_channel'
import { Client, type Dispatcher } from 'undici'
import { channels, type Hooks } from './instrument.js'

/**
 * The async context a call was made in, restored for everything the call does later from another
 * context: a retry, a stale-connection replay or a redirect hop (dispatched from a timer set in
 * undici's socket callback), a dispatch the pool had queued (sent when another request's connection
 * drains), and every hook and `mooring:*` event (published from socket callbacks and the deadline
 * sweeper). Without it they run in the context of whoever opened the pooled connection: trace B's
 * retry lands in trace A, and an AsyncLocalStorage read in `onRetry` returns another request's store.
 *
 * An AsyncResource, not `AsyncLocalStorage.snapshot()`: on Node 20 a snapshot costs ~26 µs (it binds
 * a function with defineProperty), an AsyncResource 70–130 ns, and `runInAsyncScope(fn, thisArg)`
 * needs no closure. Taken only when something can read the context (see `captureContext`).
 */
export type CallContext = AsyncResource

/** undici's first message for a request, where OpenTelemetry's and other APMs' undici instrumentations start a span and inject its headers. */
export const undiciRequestCreate = diagnosticsChannel.channel('undici:request:create')

/** Dispatchers that run the user's code per attempt: interceptors composed over a pool, a given transport. */
const runUserCode = new WeakSet<Dispatcher>()
let anyRunsUserCode = false

/** Notes that `dispatcher` runs the user's code on each dispatch, so its calls keep their context. */
export function markRunsUserCode(dispatcher: Dispatcher): void {
  runUserCode.add(dispatcher)
  anyRunsUserCode = true
}

/**
 * The context of the call starting now, or null when nothing could tell one context from another:
 * no hook, no subscriber on a `mooring:*` channel or on undici's request channel (which is where
 * tracing instrumentations listen), and no user code in the dispatcher (interceptors, a given
 * transport). A call made then pays one boolean check per channel.
 */
export function captureContext(hooks: Hooks | null, dispatcher: Dispatcher): CallContext | null {
  if (
    hooks === null &&
    !(anyRunsUserCode && runUserCode.has(dispatcher)) &&
    !undiciRequestCreate.hasSubscribers &&
    !channels.request.hasSubscribers &&
    !channels.response.hasSubscribers &&
    !channels.retry.hasSubscribers &&
    !channels.error.hasSubscribers
  ) {
    return null
  }
  contextsTaken = true
  return new AsyncResource('MooringCall')
}

/** What a queued dispatch needs when the pool sends it. */
interface QueuedDispatch {
  context: CallContext
  resendCount: number
}

/** The dispatch options a pool queued: a WeakMap entry only for those (an entry per call costs ~1 µs in GC). */
const queuedDispatches = new WeakMap<object, QueuedDispatch>()
let contextsTaken = false
/** Set when a CallerContextClient is reached: a dispatch that returns without reaching one was queued. */
let reached = false
/**
 * The resend count (attempts before this one) of the observed call being dispatched right now, or
 * -1: read by a tracing instrumentation's start-span hook, which undici calls synchronously from
 * `dispatch` (`undici:request:create`).
 */
let dispatchingResend = -1

/** `http.request.resend_count` of the request undici is creating now, when a Mooring call creates it; else undefined. */
export function currentResendCount(): number | undefined {
  return dispatchingResend === -1 ? undefined : dispatchingResend
}

/**
 * Dispatches `options` on `dispatcher` from the call's context; when the pool queued them (no
 * connection of it was reached before `dispatch` returned), notes their context for when it sends them.
 */
export function dispatchInContext(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  handler: Dispatcher.DispatchHandler,
  context: CallContext,
  resendCount: number,
): void {
  reached = false
  dispatchingResend = resendCount
  try {
    dispatcher.dispatch(options, handler)
  } finally {
    dispatchingResend = -1
  }
  if (!reached) queuedDispatches.set(options, { context, resendCount })
}

/**
 * The connection a Mooring pool makes. undici's Pool queues a dispatch while its connections are
 * busy and sends it from the `drain` of another request's connection, in that request's context,
 * where a tracing instrumentation would start this request's span. Here such a dispatch is sent in
 * the context of the call that made it. A dispatch that goes at once already runs in it; a pool
 * that never saw a call with a context pays one boolean check per dispatch.
 */
export class CallerContextClient extends Client {
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    reached = true
    if (contextsTaken && dispatchingResend === -1) {
      const queued = queuedDispatches.get(options)
      if (queued !== undefined) {
        queuedDispatches.delete(options)
        dispatchingResend = queued.resendCount
        try {
          return queued.context.runInAsyncScope(super.dispatch, this, options, handler)
        } finally {
          dispatchingResend = -1
        }
      }
    }
    return super.dispatch(options, handler)
  }
}

/** The Pool `factory` that makes CallerContextClients. */
export function callerContextClientFactory(origin: string | URL, options: object): Client {
  return new CallerContextClient(origin, options as Client.Options)
}
