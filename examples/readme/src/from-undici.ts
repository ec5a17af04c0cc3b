import { createClient } from '@mooring/core'
import { Agent, Pool } from 'undici'

export interface SearchPage {
  results: Array<{ id: number; name: string }>
}

export interface Tmdb {
  search(query: string): Promise<SearchPage>
  close(): Promise<void>
}

export function undiciTmdb(origin: string, token: string): Tmdb {
  const pool = new Pool(origin, { connections: 32, headersTimeout: 10_000, bodyTimeout: 10_000 })
  return {
    async search(query) {
      const { statusCode, body } = await pool.request({
        method: 'GET',
        path: `/3/search/tv?${new URLSearchParams({ query })}`,
        headers: { authorization: `Bearer ${token}` },
      })
      if (statusCode !== 200) {
        await body.dump()
        throw new Error(`TMDB answered ${statusCode}`)
      }
      return (await body.json()) as SearchPage
    },
    close: () => pool.close(),
  }
}

export function mooringTmdb(origin: string, token: string): Tmdb {
  const tmdb = createClient({
    baseUrl: `${origin}/3`,
    headers: { authorization: `Bearer ${token}` },
    limits: { connections: 32 },
    timeout: { headers: 10_000, body: 10_000 },
    raiseForStatus: true,
  })
  return {
    search: async (query) => (await tmdb.get('/search/tv', { query: { query } })).json<SearchPage>(),
    close: () => tmdb.close(),
  }
}

// Keep a Dispatcher you already configured (a ProxyAgent, a compose() chain): Mooring sends
// through it, and closes it only if told to.
export function tmdbOverAgent(origin: string, token: string, agent: Agent): Tmdb {
  const tmdb = createClient({
    baseUrl: `${origin}/3`,
    headers: { authorization: `Bearer ${token}` },
    transport: agent,
    closeTransport: true,
  })
  return {
    search: async (query) => (await tmdb.get('/search/tv', { query: { query } })).json<SearchPage>(),
    close: () => tmdb.close(),
  }
}
