/**
 * Where `once` records who runs a side effect and what came of it. The in-memory store and the
 * Redis store both implement it; `createGuard` holds the logic, so the two cannot drift apart.
 */
export type GuardClaim =
  /** The caller holds the lock; `attempt` counts the runs started under the key (2+: one before did not finish). */
  | { readonly state: 'acquired'; readonly attempt: number }
  | { readonly state: 'running' }
  | { readonly state: 'done'; readonly outcome: string }

export interface GuardStore {
  /** Takes the lock of `key` for `lockTtlMs` if the key has no lock and no outcome. */
  claim(key: string, token: string, lockTtlMs: number, outcomeTtlMs: number): GuardClaim | Promise<GuardClaim>
  /** Keeps the lock (held by `token`) for another `lockTtlMs`; false if it was lost. */
  extend(key: string, token: string, lockTtlMs: number): boolean | Promise<boolean>
  /** Replaces the lock held by `token` with the outcome, kept `outcomeTtlMs`. */
  complete(key: string, token: string, outcome: string, outcomeTtlMs: number): boolean | Promise<boolean>
  /** Drops the lock held by `token` (the side effect failed), so a later call may run it. */
  release(key: string, token: string): boolean | Promise<boolean>
}

interface Entry {
  lock: string | null
  outcome: string | null
  attempts: number
  lockExpiresAt: number
  expiresAt: number
}

/** The in-process guard store, with the count of keys it holds. */
export interface MemoryGuardStore extends GuardStore {
  readonly size: number
}

/** Every this many claims, the keys whose outcome expired are dropped (so a key never read again goes too). */
const SWEEP_EVERY = 1024

/** The in-process guard store: one Map, expiry checked when a key is read and swept now and then. */
export function memoryGuardStore(): MemoryGuardStore {
  const entries = new Map<string, Entry>()
  let claims = 0
  const sweep = (now: number) => {
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key)
  }
  const live = (key: string, now: number): Entry | undefined => {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      entries.delete(key)
      return undefined
    }
    if (entry.lock !== null && entry.lockExpiresAt <= now) entry.lock = null
    return entry
  }
  const held = (key: string, token: string): Entry | undefined => {
    const entry = live(key, Date.now())
    return entry?.lock === token ? entry : undefined
  }
  return {
    get size() {
      return entries.size
    },
    claim(key, token, lockTtlMs, outcomeTtlMs) {
      const now = Date.now()
      if (++claims % SWEEP_EVERY === 0) sweep(now)
      let entry = live(key, now)
      if (entry?.outcome != null) return { state: 'done', outcome: entry.outcome }
      if (entry?.lock != null) return { state: 'running' }
      if (entry === undefined) {
        entry = { lock: null, outcome: null, attempts: 0, lockExpiresAt: 0, expiresAt: 0 }
        entries.set(key, entry)
      }
      entry.lock = token
      entry.attempts++
      entry.lockExpiresAt = now + lockTtlMs
      entry.expiresAt = now + Math.max(outcomeTtlMs, lockTtlMs)
      return { state: 'acquired', attempt: entry.attempts }
    },
    extend(key, token, lockTtlMs) {
      const entry = held(key, token)
      if (entry === undefined) return false
      entry.lockExpiresAt = Date.now() + lockTtlMs
      return true
    },
    complete(key, token, outcome, outcomeTtlMs) {
      const entry = held(key, token)
      if (entry === undefined) return false
      entry.lock = null
      entry.outcome = outcome
      entry.expiresAt = Date.now() + outcomeTtlMs
      return true
    },
    release(key, token) {
      const entry = held(key, token)
      if (entry === undefined) return false
      entry.lock = null
      return true
    },
  }
}
