/**
 * Where a rate limit keeps its state. The client asks `take(key, rule)` before each call it sends;
 * a 429 with `Retry-After` calls `pause(key, durationMs)` so every caller sharing the store waits.
 *
 * The in-memory default answers synchronously (no promise on the hot path); a shared store such as
 * `@mooring/redis` answers with a promise. Callers accept both: `decision instanceof Promise`
 * (or `typeof decision.then === 'function'`) tells them apart.
 */
export interface RateLimitRule {
  /** Sustained rate, calls per second (> 0). */
  readonly rps: number
  /** Calls allowed at once after an idle period (>= 1). */
  readonly burst: number
}

/** Admitted, or refused with the wait before the next call under this key may go. */
export type RateLimitDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number }

export interface RateLimitStore {
  /**
   * Takes one call from the budget of `key` (an origin, optionally with an API key) under `rule`.
   * `now` (epoch ms) is for tests of the in-memory store; a shared store uses its own clock.
   */
  take(key: string, rule: RateLimitRule, now?: number): RateLimitDecision | Promise<RateLimitDecision>
  /** Refuses every call under `key` for `durationMs` (a 429's Retry-After), for all who share the store. */
  pause(key: string, durationMs: number, now?: number): void | Promise<void>
  /** Releases what the store holds (a connection); the registration calls it at shutdown. */
  close?(): void | Promise<void>
}

/** The in-memory store: the same contract, answered synchronously. */
export interface MemoryRateLimitStore extends RateLimitStore {
  take(key: string, rule: RateLimitRule, now?: number): RateLimitDecision
  pause(key: string, durationMs: number, now?: number): void
  close(): void
}

/** The one admitted decision, shared: admitting a call allocates nothing. */
export const RATE_LIMIT_ADMITTED: RateLimitDecision = Object.freeze({ ok: true })

/**
 * The in-process store: a GCRA (generic cell rate algorithm, the token bucket as one timestamp per
 * key) over a Map. One number per key, no timer, synchronous.
 */
export function memoryRateLimitStore(): MemoryRateLimitStore {
  // Theoretical arrival time per key: when the bucket would be full again.
  const arrival = new Map<string, number>()
  const pausedUntil = new Map<string, number>()
  return {
    take(key, rule, now = Date.now()) {
      if (pausedUntil.size !== 0) {
        const until = pausedUntil.get(key)
        if (until !== undefined) {
          if (until > now) return { ok: false, retryAfterMs: until - now }
          pausedUntil.delete(key)
        }
      }
      const interval = 1000 / rule.rps
      const tat = arrival.get(key)
      const next = (tat === undefined || tat < now ? now : tat) + interval
      const allowAt = next - interval * rule.burst
      if (allowAt > now) return { ok: false, retryAfterMs: Math.ceil(allowAt - now) }
      arrival.set(key, next)
      return RATE_LIMIT_ADMITTED
    },
    pause(key, durationMs, now = Date.now()) {
      if (!(durationMs > 0)) return
      const until = now + durationMs
      const current = pausedUntil.get(key)
      if (current === undefined || current < until) pausedUntil.set(key, until)
    },
    close() {
      arrival.clear()
      pausedUntil.clear()
    },
  }
}
