/** Resource types that would mean a leak: sockets, servers, timers. */
const WATCHED = ['TCPSocketWrap', 'TCPServerWrap', 'TLSWrap', 'Timeout'] as const

export type HandleCounts = Partial<Record<(typeof WATCHED)[number], number>>

/** How many sockets, servers and timers of each kind keep the event loop busy now. */
export function countHandles(): HandleCounts {
  const counts: HandleCounts = {}
  for (const type of process.getActiveResourcesInfo()) {
    if ((WATCHED as readonly string[]).includes(type)) {
      const t = type as (typeof WATCHED)[number]
      counts[t] = (counts[t] ?? 0) + 1
    }
  }
  return counts
}

/**
 * True when no kind has more live handles than in `before`. Fewer is fine: the test runner's own
 * timers come and go.
 */
export function noMoreHandlesThan(before: HandleCounts): boolean {
  const now = countHandles()
  return WATCHED.every((type) => (now[type] ?? 0) <= (before[type] ?? 0))
}
