import { createClient } from '@mooring/core'

export interface SearchPage {
  results: Array<{ id: number; name: string }>
}

/** A worker with no web framework: the app client, a scope per job, and a close at shutdown. */
export function searchWorker(baseUrl: string, token: string) {
  // One client, one pool, for the process's lifetime.
  const tmdb = createClient({
    baseUrl,
    headers: { authorization: `Bearer ${token}` },
    timeout: { connect: 5_000, total: 10_000 },
  })

  // Per unit of work: a scope over the same pool, with the job's own headers and signal.
  async function handle(job: { id: string; query: string }, signal?: AbortSignal) {
    const scope = tmdb.scope({ headers: { 'x-request-id': job.id }, signal })
    try {
      return await (await scope.get('/search/tv', { query: { query: job.query } })).json<SearchPage>()
    } finally {
      await scope.close() // aborts whatever the job left in flight; the pool stays
    }
  }

  // At shutdown: refuse new calls, let those in flight finish (up to 5 s), close every socket.
  const close = () => tmdb.close({ drainTimeout: 5_000 })
  return { handle, close, stats: () => tmdb.stats() }
}
