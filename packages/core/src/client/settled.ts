/**
 * The one settled promise a scope's `close()` returns on its common path (nothing in flight, no pool
 * of its own), shared so a registration can tell that close apart and skip a rejection handler,
 * which would be a promise made per request.
 */
export const RESOLVED: Promise<void> = Promise.resolve()
