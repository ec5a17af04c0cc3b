import { HttpStatusError, type MooringClient, type MooringError, TimeoutError } from '@mooring/core'

/** What GET /movies/search answers: one entry per show. */
export interface Show {
  id: number
  title: string
}

interface SearchPage {
  results: Array<{ id: number; name: string }>
}

// #region service
/**
 * The service knows TMDB, not the framework, and is never handed the request: `tmdb.current()` is
 * the plugin's context accessor, the current request's client inside a request and the app client
 * outside one.
 */
export function showsService(tmdb: { current(): MooringClient }) {
  return {
    async search(query: string): Promise<Show[]> {
      const res = await tmdb.current().get('/search/tv', { query: { query }, raiseForStatus: true })
      const page = await res.json<SearchPage>()
      return page.results.map((show) => ({ id: show.id, title: show.name }))
    },
  }
}
// #endregion service

/** The body of a failed search: what went wrong upstream, nothing of the request's credentials. */
export interface UpstreamFailure {
  error: string
  code: string
  upstreamStatus?: number
  attempts: number
}

/** A TMDB call that failed is the caller's 504 when it timed out, 502 otherwise. */
export function upstreamFailure(err: MooringError): { status: 502 | 504; body: UpstreamFailure } {
  const status = err instanceof TimeoutError ? 504 : 502
  const body: UpstreamFailure = { error: 'the TMDB search failed', code: err.code, attempts: err.attempts }
  if (err instanceof HttpStatusError) body.upstreamStatus = err.status
  return { status, body }
}
