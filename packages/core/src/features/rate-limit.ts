import { ConfigError } from '../errors.js'
import {
  memoryRateLimitStore,
  type RateLimitDecision,
  type RateLimitRule,
  type RateLimitStore,
} from '../policy/rate-limit-store.js'
import { isPlainObject } from '../config/validate.js'

export interface RateLimitOptions {
  /** Calls per second per origin, sustained (> 0). Every attempt (retries included) takes one. */
  rps: number
  /** Calls that may go at once after a quiet spell (>= 1). Default 1: evenly spaced calls. */
  burst?: number
  /** Where the buckets live. Default: in memory, for this client. `@mooring/redis` shares them across instances. */
  store?: RateLimitStore
  /** Prefixed to the origin in the store's key, so clients sharing a store can keep apart (an API key's name). */
  key?: string
}

/**
 * A client's rate limit: one bucket per origin, its state in `store`. An attempt asks `take(origin)`
 * before it is dispatched; a 429 with `Retry-After` calls `pause(origin, ms)`, which holds back
 * every caller of the client (and of every client sharing the store).
 *
 * The store answers "not yet, try in N ms" and reserves nothing (so a shared store stays one number
 * per key). Waiting callers would then all wake at once and race for one turn, and none could know
 * its wait. So the client keeps a local line per origin: a refused call is given the next free turn
 * (`retryAfterMs` from the store, then one interval per caller ahead of it), newcomers queue behind
 * the line instead of taking a turn a waiter was promised, and a caller whose turn would come past
 * its deadline is told so at once, without taking a place.
 */
export class RateLimiter {
  readonly rule: RateLimitRule
  readonly store: RateLimitStore
  readonly #prefix: string

  constructor(rule: RateLimitRule, store: RateLimitStore, prefix: string) {
    this.rule = rule
    this.store = store
    this.#prefix = prefix
  }

  /** Per origin: when (performance.now()) the turn after the last one promised is free. */
  readonly #lineEnds = new Map<string, number>()

  /**
   * This attempt's turn: admitted, or the wait until the turn reserved for it. `queued`: the caller
   * waited for a turn reserved here, and goes to the store ahead of the line. `maxWait`: past it,
   * nothing is reserved and the answer is the wait it would have needed.
   */
  take(origin: string, queued: boolean, maxWait: number): RateLimitDecision | Promise<RateLimitDecision> {
    const now = performance.now()
    if (!queued) {
      const end = this.#lineEnds.get(origin)
      if (end !== undefined && end > now) return this.#reserve(origin, 0, now, maxWait)
    }
    const decision = this.store.take(this.#prefix + origin, this.rule)
    if (decision instanceof Promise) {
      return decision.then((d) =>
        d.ok ? d : this.#refused(origin, queued, d.retryAfterMs, performance.now(), maxWait),
      )
    }
    return decision.ok ? decision : this.#refused(origin, queued, decision.retryAfterMs, now, maxWait)
  }

  /**
   * The store said not yet. A queued caller already holds its reserved turn: its timer fired a little
   * early (timers round, and a shared store's clock is its own), so it asks again after the store's
   * wait, keeping its place; sending it to the back of the line would let later callers pass it.
   */
  #refused(origin: string, queued: boolean, wait: number, now: number, maxWait: number): RateLimitDecision {
    if (queued) return { ok: false, retryAfterMs: Math.max(1, Math.ceil(wait)) }
    return this.#reserve(origin, wait, now, maxWait)
  }

  #reserve(origin: string, wait: number, now: number, maxWait: number): RateLimitDecision {
    const end = this.#lineEnds.get(origin)
    const at = Math.max(now + wait, end ?? 0)
    if (at - now < maxWait) this.#lineEnds.set(origin, at + 1000 / this.rule.rps)
    else if (end !== undefined && end <= now) this.#lineEnds.delete(origin)
    return { ok: false, retryAfterMs: Math.max(1, Math.ceil(at - now)) }
  }

  pause(origin: string, ms: number): void {
    // A shared store's failure to record a pause must not fail the call that saw the 429.
    const done = this.store.pause(this.#prefix + origin, ms)
    if (done !== undefined) done.catch(() => {})
  }
}

const KEYS = ['rps', 'burst', 'store', 'key']

export function normalizeRateLimit(path: string, value: unknown): RateLimiter | null {
  if (value === undefined || value === false) return null
  if (!isPlainObject(value)) throw new ConfigError(path, value, '{ rps, burst?, store?, key? }')
  for (const key of Object.keys(value)) {
    if (!KEYS.includes(key)) throw new ConfigError(`${path}.${key}`, value[key], `one of ${KEYS.join(', ')}`)
  }
  const { rps, burst = 1, store, key = '' } = value
  if (typeof rps !== 'number' || !Number.isFinite(rps) || rps <= 0) {
    throw new ConfigError(`${path}.rps`, rps, 'a number of calls per second > 0')
  }
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) {
    throw new ConfigError(`${path}.burst`, burst, 'an integer >= 1')
  }
  if (
    store !== undefined &&
    (store === null ||
      typeof store !== 'object' ||
      typeof (store as RateLimitStore).take !== 'function' ||
      typeof (store as RateLimitStore).pause !== 'function')
  ) {
    throw new ConfigError(`${path}.store`, store, 'a RateLimitStore (take and pause)')
  }
  if (typeof key !== 'string') throw new ConfigError(`${path}.key`, key, 'a string')
  return new RateLimiter(
    Object.freeze({ rps, burst }),
    (store as RateLimitStore | undefined) ?? memoryRateLimitStore(),
    key === '' ? '' : `${key}:`,
  )
}
