// What the callgrind section counts: the client variants of issue 17's table, and "features off":
// the app client with each feature of this round configured off, against the same client with the
// feature not configured at all. A feature whose option core does not accept yet is reported as
// pending (its creation throws, naming the option), so the section measures whatever core has.
import { CLIENTS } from '../clients/adapters.mjs'

const PATH = '/json'
const pick = (name) => CLIENTS.find((c) => c.name === name)

/** The client table: the floor, what users write with undici, Mooring, and the clients people use instead. */
export const CLIENT_VARIANTS = [
  ...['undici-dispatch', 'undici-request', 'mooring-app', 'mooring-scope'].map(pick),
  // Ten times the instructions of the rest, so ten times the time under valgrind: 16 in flight only.
  ...['fetch', 'axios', 'got'].map((name) => ({ ...pick(name), inflight: [16] })),
]

/** Each feature with the option that turns it off, as its issue names it. */
export const FEATURES = [
  { name: 'middleware', option: { middleware: [] } },
  { name: 'interceptors', option: { interceptors: [] } },
  { name: 'decompression', option: { decompress: false } },
  { name: 'rate limit', option: { rateLimit: false } },
  { name: 'cache', option: { cache: false } },
  { name: 'cookies', option: { cookies: false } },
  { name: 'context capture', option: { context: false } },
  { name: 'metrics', option: { metrics: false } },
  // Features of earlier rounds, turned off: the same rule holds for them.
  { name: 'retry', option: { retry: false } },
  { name: 'redirects', option: { followRedirects: false } },
  { name: 'response size limit', option: { maxResponseSize: false } },
]

function appClient(name, label, extra) {
  return {
    name,
    label,
    inflight: [16],
    options: extra,
    async create({ url, connections }) {
      const { createClient } = await import('@mooring/core')
      const client = createClient({ baseUrl: url, limits: { connections }, ...extra })
      return {
        call: async () => await (await client.get(PATH)).json(),
        close: () => client.close(),
      }
    },
  }
}

export const FEATURE_VARIANTS = [
  appClient('features-none', 'app client, no feature configured', {}),
  ...FEATURES.map((f) =>
    appClient(`off-${f.name.replaceAll(' ', '-')}`, `${f.name} off (${JSON.stringify(f.option)})`, f.option),
  ),
]

export const VARIANTS = [...CLIENT_VARIANTS, ...FEATURE_VARIANTS]
