import { createClient, type MooringClient } from '@mooring/core'

export interface SearchPage {
  results: Array<{ id: number; name: string }>
}

// fetch: the global dispatcher is nobody's to close; a timeout, retries and errors on status are yours.
export async function searchWithFetch(baseUrl: string, token: string, query: string): Promise<SearchPage> {
  const url = new URL(`${baseUrl}/search/tv`)
  url.searchParams.set('query', query)
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  })
  if (!res.ok) throw new Error(`TMDB answered ${res.status}`)
  return (await res.json()) as SearchPage
}

// Mooring: one client made at startup and closed at shutdown (a plugin does both for you).
export function createTmdb(baseUrl: string, token: string): MooringClient {
  return createClient({
    baseUrl,
    headers: { authorization: `Bearer ${token}` },
    timeout: { total: 10_000 }, // every attempt and every wait included
    raiseForStatus: true, // HttpStatusError for 4xx/5xx, once 503s and the like were retried
  })
}

export async function searchWithMooring(tmdb: MooringClient, query: string): Promise<SearchPage> {
  const res = await tmdb.get('/search/tv', { query: { query } })
  return res.json<SearchPage>()
}
