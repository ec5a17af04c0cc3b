import type { Dispatcher } from 'undici'
import type { HttpCache } from '../features/cache.js'
import { type ClientStats, readPoolStats } from '../observe/stats.js'
import { poolOf } from './dispatcher.js'
import type { Origins } from './origins.js'

/**
 * `client.stats()`: undici's pool figures joined with Mooring's per-origin counters. Built only when
 * asked, so the counters stay plain fields on each origin's state and a request updates no map.
 */
export function clientStats(
  dispatcher: Dispatcher | null,
  origins: Origins,
  inFlight: number,
  cache: HttpCache | null,
): ClientStats {
  const pools = dispatcher === null ? {} : readPoolStats(poolOf(dispatcher))
  const byOrigin: ClientStats['origins'] = {}
  for (const [origin, c] of origins.states) {
    const { done, failed, budgetRefusals } = c
    byOrigin[origin] = {
      ...pools[origin],
      inFlight: c.inFlight,
      done,
      failed,
      retries: { ...c.retries },
      budgetRefusals,
    }
  }
  for (const origin of Object.keys(pools)) {
    byOrigin[origin] ??= {
      ...pools[origin],
      inFlight: 0,
      done: 0,
      failed: 0,
      retries: {},
      budgetRefusals: 0,
    }
  }
  return cache === null
    ? { inFlight, origins: byOrigin }
    : { inFlight, origins: byOrigin, cache: cache.stats() }
}
