import { DuplicateError, RedisStoreConfigError, StoreUnavailableError } from './errors.js'
import type { OnceOptions } from './once.js'
import type { SharedStore } from './stores.js'

/**
 * Deduplicates inbound webhook deliveries (providers retry them) by a key from the request. The
 * first delivery runs the handler; a repeat gets the first one's status (with `mooring-duplicate:
 * true` and no body) without running it; one arriving while the first still runs waits up to
 * `wait`, then gets 409. A handler that fails (throws, or answers 5xx) releases the key, so the
 * provider's retry runs it again. The store down: `failMode` `'closed'` (default) answers 503
 * (the provider retries later), `'open'` runs the handler unguarded.
 */
export interface WebhookGuardOptions extends Pick<OnceOptions, 'ttl' | 'lockTtl' | 'failMode' | 'wait'> {
  /** `memoryStore()` or `redisStore({ url })`. */
  store: Pick<SharedStore, 'once'>
  /**
   * Where the delivery's id is: a request header (`{ header: 'x-github-delivery' }`), a field of
   * the parsed JSON body (`{ body: 'id' }`, for Stripe's event id; parse the body first), or a function.
   */
  key: { header: string } | { body: string } | ((request: InboundDelivery) => string | undefined)
  /** Prefix of the guard key, so deliveries of two providers never collide. Default `webhook:`. */
  prefix?: string
}

/** What the guard reads of a request, whatever the framework. */
export interface InboundDelivery {
  readonly headers: Record<string, string | string[] | undefined>
  readonly body?: unknown
}

/** What to answer: run the handler (it did), or a status for a repeat, a delivery in progress, an outage. */
export type DeliveryVerdict =
  | { readonly kind: 'handled' }
  | { readonly kind: 'duplicate'; readonly status: number }
  | { readonly kind: 'refused'; readonly status: 400 | 409 | 503; readonly message: string }

/** The header a repeated delivery is answered with. */
export const DUPLICATE_HEADER = 'mooring-duplicate'

/** Thrown inside the guard when the handler answered 5xx: the key is released for the retry. */
class HandlerFailed extends Error {}

/**
 * The framework-free part every adapter shares: finds the key, runs `handle` under `once`.
 * `handle` runs the route and resolves with the status it answered.
 */
export function webhookGuardCore(options: WebhookGuardOptions) {
  if (options === null || typeof options !== 'object' || typeof options.store?.once !== 'function') {
    throw new RedisStoreConfigError(
      'webhookGuard options.store must be a store from memoryStore() or redisStore()',
    )
  }
  const { key } = options
  const prefix = options.prefix ?? 'webhook:'
  let where: string
  let read: (request: InboundDelivery) => unknown
  if (typeof key === 'function') {
    where = 'the key function'
    read = key
  } else if (key !== null && typeof key === 'object' && 'header' in key && typeof key.header === 'string') {
    const name = key.header.toLowerCase()
    where = `header ${name}`
    read = (request) => request.headers[name]
  } else if (key !== null && typeof key === 'object' && 'body' in key && typeof key.body === 'string') {
    const field = key.body
    where = `body field ${field}`
    read = (request) => (request.body as Record<string, unknown> | undefined)?.[field]
  } else {
    throw new RedisStoreConfigError(
      'webhookGuard options.key must be { header: string }, { body: string } or a function of the request',
    )
  }
  const onceOptions: OnceOptions = {
    ttl: options.ttl,
    lockTtl: options.lockTtl,
    failMode: options.failMode,
    wait: options.wait ?? 5_000,
    onDuplicate: 'stored',
  }
  return async function guardDelivery(
    request: InboundDelivery,
    handle: () => Promise<number>,
  ): Promise<DeliveryVerdict> {
    const id = read(request)
    if (typeof id !== 'string' || id === '') {
      return { kind: 'refused', status: 400, message: `webhookGuard: the delivery has no ${where}` }
    }
    let handled = false
    try {
      const status = await options.store.once(`${prefix}${id}`, onceOptions, async () => {
        handled = true
        const answered = await handle()
        if (answered >= 500) throw new HandlerFailed()
        return answered
      })
      return handled ? { kind: 'handled' } : { kind: 'duplicate', status }
    } catch (error) {
      if (handled) return { kind: 'handled' }
      if (error instanceof DuplicateError) {
        return { kind: 'refused', status: 409, message: 'webhookGuard: this delivery is being handled' }
      }
      if (error instanceof StoreUnavailableError) {
        return { kind: 'refused', status: 503, message: 'webhookGuard: deliveries cannot be checked now' }
      }
      throw error
    }
  }
}
