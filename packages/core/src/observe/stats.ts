import type { CacheStats } from '../features/cache.js'
import type { Dispatcher } from 'undici'
import type { CircuitBreaker } from '../policy/breaker.js'
import type { RetryBudget } from '../policy/budget.js'

/**
 * What a client tree keeps per origin: Mooring's request counters, and the retry budget and
 * circuit breaker its calls share. One record, found once per call.
 */
export class OriginState {
  readonly budget: RetryBudget | null
  readonly breaker: CircuitBreaker | null
  inFlight = 0
  done = 0
  failed = 0
  /** Retries and replays, by reason (`status:503`, `ECONNRESET`, `stale-connection`, …). */
  retries: Record<string, number> = {}
  /** Retries the retry budget refused. */
  budgetRefusals = 0
  /** The origin's pool in the owned Agent, once made (client/dispatcher.ts `routeTo`). */
  pool: Dispatcher | null = null
  poolAgent: Dispatcher | null = null

  constructor(budget: RetryBudget | null, breaker: CircuitBreaker | null) {
    this.budget = budget
    this.breaker = breaker
  }

  countRetry(reason: string): void {
    this.retries[reason] = (this.retries[reason] ?? 0) + 1
  }
}

export interface PoolStats {
  /** Open connections. */
  open: number
  /** Open connections with no request on them. */
  idle: number
  busy: number
  /** Requests waiting for a connection. */
  queued: number
}

export interface OriginStats extends Partial<PoolStats> {
  inFlight: number
  done: number
  failed: number
  retries: Record<string, number>
  budgetRefusals: number
}

export interface ClientStats {
  /** Requests in flight through this client and its scopes. */
  inFlight: number
  origins: Record<string, OriginStats>
  /** With `cache` on: lookups answered from the cache, and those sent to the origin. */
  cache?: CacheStats
}

interface UndiciPoolStats {
  connected: number
  free: number
  pending: number
  queued: number
  running: number
  size: number
}

/** Reads undici's own per-origin pool figures (Agent.stats), when the dispatcher has them. */
export function readPoolStats(dispatcher: Dispatcher): Record<string, PoolStats> {
  const out: Record<string, PoolStats> = {}
  const raw = (dispatcher as { stats?: Record<string, UndiciPoolStats> }).stats
  if (raw === undefined || raw === null || typeof raw !== 'object') return out
  for (const origin of Object.keys(raw)) {
    const s = raw[origin]
    out[origin] = { open: s.connected, idle: s.free, busy: s.connected - s.free, queued: s.queued }
  }
  return out
}
