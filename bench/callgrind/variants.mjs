// What the callgrind section counts: the client variants of issue 17's table, and "features off":
// the app client with each feature of this round configured off, against the same client with the
// feature not configured at all. A feature whose option core does not accept yet is reported as
// pending (its creation throws, naming the option), so the section measures whatever core has.
import { BufferingHandler, CLIENTS } from '../clients/adapters.mjs'
import { importFrom } from '../lib/resolve.mjs'

const PATH = '/json'
const pick = (name) => CLIENTS.find((c) => c.name === name)

/** The client table: the floor, what users write with undici, Mooring, and the clients people use instead. */
export const CLIENT_VARIANTS = [
  ...['undici-dispatch', 'undici-request', 'mooring-app', 'mooring-scope'].map(pick),
  // Ten times the instructions of the rest, so ten times the time under valgrind: 16 in flight only.
  // Fewer requests too: their warm-up is a smaller share of what they count.
  ...['fetch', 'axios', 'got'].map((name) => ({
    ...pick(name),
    inflight: [16],
    counts: { warmup: 1_500, segment: 500, segments: 4 },
  })),
]

/** What `get()` resolves with, reduced: status, headers, the buffered body, and `json()`. */
class BufferedResponse {
  constructor(status, headers, chunks) {
    this.status = status
    this.headers = headers
    this.chunks = chunks
  }
  async json() {
    const chunks = this.chunks
    return JSON.parse((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString())
  }
}

/** The floor's handler, resolving a response object at the end of the body instead of the JSON. */
class ResponseHandler extends BufferingHandler {
  onResponseStart(_controller, statusCode, headers) {
    this.statusCode = statusCode
    this.headers = headers
  }
  onResponseEnd() {
    this.resolve(new BufferedResponse(this.statusCode, this.headers, this.chunks))
  }
}

/**
 * Probes: the floor with one of the app client's costs added, so each cost is a difference of two
 * counts (callgrind cannot name V8's JIT-compiled functions, so a profile cannot attribute them).
 */
export const PROBE_VARIANTS = [
  {
    name: 'probe-agent',
    label: 'floor through an undici Agent (the layer before the Pool)',
    inflight: [16],
    async create({ url, connections }) {
      const { Agent } = await importFrom('core', 'undici')
      const agent = new Agent({ connections })
      const options = { origin: url, path: PATH, method: 'GET' }
      return {
        call: () =>
          new Promise((resolve, reject) => agent.dispatch(options, new BufferingHandler(resolve, reject))),
        close: () => agent.close(),
      }
    },
  },
  {
    name: 'probe-response',
    label: 'floor resolving a response object, then `.json()` as a second promise',
    inflight: [16],
    async create({ url, connections }) {
      const { Pool } = await importFrom('core', 'undici')
      const pool = new Pool(url, { connections })
      const options = { path: PATH, method: 'GET' }
      return {
        call: async () =>
          await (
            await new Promise((resolve, reject) =>
              pool.dispatch(options, new ResponseHandler(resolve, reject)),
            )
          ).json(),
        close: () => pool.close(),
      }
    },
  },
  {
    name: 'probe-timer',
    label: 'floor with a 25 ms interval timer (the deadline sweeper’s tick)',
    inflight: [16],
    async create({ url, connections }) {
      const { Pool } = await importFrom('core', 'undici')
      const pool = new Pool(url, { connections })
      const options = { path: PATH, method: 'GET' }
      let ticks = 0
      const timer = setInterval(() => ticks++, 25)
      return {
        call: () =>
          new Promise((resolve, reject) => pool.dispatch(options, new BufferingHandler(resolve, reject))),
        close: async () => {
          clearInterval(timer)
          await pool.close()
        },
      }
    },
  },
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

export const VARIANTS = [...CLIENT_VARIANTS, ...PROBE_VARIANTS, ...FEATURE_VARIANTS]
