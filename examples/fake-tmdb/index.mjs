export { startFakeTmdb } from './fake-tmdb.mjs'
export { FAKE_TMDB_KEY, normalizeOptions, optionsFromEnv } from './options.mjs'
export { SHOWS, searchTv } from './search.mjs'
export { tmdbFromEnv } from './tmdb-env.mjs'
