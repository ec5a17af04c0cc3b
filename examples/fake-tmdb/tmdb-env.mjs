import { FAKE_TMDB_KEY } from './options.mjs'
import { startFakeTmdb } from './fake-tmdb.mjs'

/**
 * Where the examples find TMDB: `TMDB_BASE_URL` and `TMDB_API_KEY` (your API Read Access Token) when
 * set, otherwise a fake-tmdb started here, so every example runs offline by default.
 */
export async function tmdbFromEnv(env = process.env) {
  if (env.TMDB_BASE_URL) {
    if (!env.TMDB_API_KEY)
      throw new TypeError('TMDB_API_KEY: expected your TMDB API Read Access Token with TMDB_BASE_URL')
    return { baseUrl: env.TMDB_BASE_URL, apiKey: env.TMDB_API_KEY, fake: false, close: async () => {} }
  }
  const fake = await startFakeTmdb({ apiKey: env.TMDB_API_KEY || FAKE_TMDB_KEY })
  return { baseUrl: fake.baseUrl, apiKey: fake.apiKey, fake: true, close: () => fake.close() }
}
