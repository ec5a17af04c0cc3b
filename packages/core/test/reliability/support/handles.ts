/** Resource types that would mean a leak: sockets, servers, timers. */
const WATCHED = new Set(['TCPSocketWrap', 'TCPServerWrap', 'TLSWrap', 'Timeout'])

/** How many sockets, servers and timers of each kind keep the event loop busy now. */
export function countHandles(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const type of process.getActiveResourcesInfo()) {
    if (WATCHED.has(type)) counts[type] = (counts[type] ?? 0) + 1
  }
  return counts
}
