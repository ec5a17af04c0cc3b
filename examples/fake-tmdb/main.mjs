// `node examples/fake-tmdb/main.mjs`: runs fake-tmdb on its own and prints its URL.
// Faults from the environment: FAKE_TMDB_LATENCY_MS=2-10 FAKE_TMDB_FAIL_RATE=0.05 FAKE_TMDB_DROP_RATE=0.1 …
import { optionsFromEnv, startFakeTmdb } from './index.mjs'

const fake = await startFakeTmdb(optionsFromEnv())
console.log(`fake-tmdb on ${fake.baseUrl} (key: ${fake.apiKey})`)
console.log(`try: curl -H 'authorization: Bearer ${fake.apiKey}' '${fake.baseUrl}/search/tv?query=harbor'`)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    fake.close().then(() => console.log(`fake-tmdb closed: ${JSON.stringify(fake.stats())}`))
  })
}
