// The clients under test, each reduced to `call()`: one GET of the upstream's JSON, parsed. Every
// one gets the same concurrency from the driver and a pool of `connections` (where a client has an
// unbounded pool, the concurrency bounds it to the same number). Each is written the way its users
// write it; the dispatch floor is the least undici can be asked to do.
import { Agent as HttpAgent } from 'node:http'
import { importFrom } from '../lib/resolve.mjs'

const PATH = '/json'

/**
 * The floor: `Pool.dispatch` with a handler in undici's new handler API that buffers the body and
 * parses it. One promise per call and nothing else: no stream, no body mixin, no abort signal.
 */
export class BufferingHandler {
  constructor(resolve, reject) {
    this.resolve = resolve
    this.reject = reject
    this.chunks = []
    this.statusCode = 0
  }
  onRequestStart() {}
  onResponseStart(_controller, statusCode) {
    this.statusCode = statusCode
  }
  onResponseData(_controller, chunk) {
    this.chunks.push(chunk)
  }
  onResponseEnd() {
    const chunks = this.chunks
    try {
      if (this.statusCode !== 200) throw new Error(`status ${this.statusCode}`)
      this.resolve(JSON.parse((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString()))
    } catch (err) {
      this.reject(err)
    }
  }
  onResponseError(_controller, err) {
    this.reject(err)
  }
}

/**
 * @typedef {{ url: string, connections: number }} Target
 * @typedef {{ call(): Promise<unknown>, close(): Promise<void> }} Running
 * @typedef {{ name: string, label: string, create(target: Target): Promise<Running>, isolated?: boolean }} Adapter
 */

/** @type {Adapter[]} */
export const CLIENTS = [
  {
    name: 'undici-dispatch',
    label: 'undici Pool.dispatch (floor)',
    async create({ url, connections }) {
      const { Pool } = await importFrom('core', 'undici')
      const pool = new Pool(url, { connections })
      const options = { path: PATH, method: 'GET' }
      return {
        call: () =>
          new Promise((resolve, reject) => pool.dispatch(options, new BufferingHandler(resolve, reject))),
        close: () => pool.close(),
      }
    },
  },
  {
    name: 'undici-request',
    label: 'undici Pool.request + body.json()',
    async create({ url, connections }) {
      const { Pool } = await importFrom('core', 'undici')
      const pool = new Pool(url, { connections })
      return {
        async call() {
          const { body } = await pool.request({ path: PATH, method: 'GET' })
          return await body.json()
        },
        close: () => pool.close(),
      }
    },
  },
  {
    name: 'mooring-app',
    label: 'Mooring app client',
    async create({ url, connections }) {
      const { createClient } = await import('@mooring/core')
      const client = createClient({ baseUrl: url, limits: { connections } })
      return {
        call: async () => await (await client.get(PATH)).json(),
        close: () => client.close(),
      }
    },
  },
  {
    name: 'mooring-scope',
    label: 'Mooring scope per call',
    async create({ url, connections }) {
      const { createClient } = await import('@mooring/core')
      const client = createClient({ baseUrl: url, limits: { connections } })
      return {
        async call() {
          const scope = client.scope()
          try {
            return await (await scope.get(PATH)).json()
          } finally {
            await scope.close()
          }
        },
        close: () => client.close(),
      }
    },
  },
  {
    name: 'mooring-isolated',
    label: 'Mooring isolated pool per call',
    isolated: true,
    async create({ url, connections }) {
      const { createClient } = await import('@mooring/core')
      const client = createClient({ baseUrl: url, limits: { connections } })
      return {
        async call() {
          const scope = client.scope({ pool: 'isolated' })
          try {
            return await (await scope.get(PATH)).json()
          } finally {
            await scope.close()
          }
        },
        close: () => client.close(),
      }
    },
  },
  {
    name: 'fetch',
    label: 'global fetch',
    async create({ url }) {
      // Node's own undici and its global dispatcher: what `fetch` users get.
      const target = url + PATH
      return {
        call: async () => await (await fetch(target)).json(),
        close: async () => {},
      }
    },
  },
  {
    name: 'axios',
    label: 'axios (keep-alive agent)',
    async create({ url, connections }) {
      const { default: axios } = await import('axios')
      const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: connections })
      const instance = axios.create({ baseURL: url, httpAgent })
      return {
        call: async () => (await instance.get(PATH)).data,
        close: async () => httpAgent.destroy(),
      }
    },
  },
  {
    name: 'got',
    label: 'got (keep-alive agent)',
    async create({ url, connections }) {
      const { default: got } = await import('got')
      const http = new HttpAgent({ keepAlive: true, maxSockets: connections })
      const instance = got.extend({ prefixUrl: url, agent: { http } })
      return {
        call: () => instance.get(PATH.slice(1)).json(),
        close: async () => http.destroy(),
      }
    },
  },
  {
    name: 'ky',
    label: 'ky (on global fetch)',
    async create({ url }) {
      const { default: ky } = await import('ky')
      const instance = ky.create({ prefixUrl: url })
      return {
        call: () => instance.get(PATH.slice(1)).json(),
        close: async () => {},
      }
    },
  },
]

/** The retry layer's cost: Mooring's app client with retries off, against the same with the default. */
export const RETRY_CLIENTS = [
  {
    name: 'mooring-retry-off',
    label: 'Mooring app client, retry: false',
    async create({ url, connections }) {
      const { createClient } = await import('@mooring/core')
      const client = createClient({ baseUrl: url, limits: { connections }, retry: false })
      return {
        call: async () => await (await client.get(PATH)).json(),
        close: () => client.close(),
      }
    },
  },
  {
    name: 'mooring-retry-default',
    label: 'Mooring app client, retry by default',
    async create({ url, connections }) {
      const { createClient } = await import('@mooring/core')
      const client = createClient({ baseUrl: url, limits: { connections } })
      return {
        call: async () => await (await client.get(PATH)).json(),
        close: () => client.close(),
      }
    },
  },
]

/** Issue 13's features on a healthy upstream: decompression (on by default) and a rate limit never reached. */
export const FEATURE_CLIENTS = [
  {
    name: 'mooring-plain',
    label: 'Mooring app client, decompress: false',
    async create({ url, connections }) {
      const { createClient } = await import('@mooring/core')
      const client = createClient({ baseUrl: url, limits: { connections }, decompress: false })
      return {
        call: async () => await (await client.get(PATH)).json(),
        close: () => client.close(),
      }
    },
  },
  {
    name: 'mooring-decompress',
    label: 'Mooring app client, decompress on (default), uncompressed JSON',
    async create({ url, connections }) {
      const { createClient } = await import('@mooring/core')
      const client = createClient({ baseUrl: url, limits: { connections } })
      return {
        call: async () => await (await client.get(PATH)).json(),
        close: () => client.close(),
      }
    },
  },
  {
    name: 'mooring-rate-limit',
    label: 'Mooring app client, decompress: false, rateLimit never reached',
    async create({ url, connections }) {
      const { createClient } = await import('@mooring/core')
      const client = createClient({
        baseUrl: url,
        limits: { connections },
        decompress: false,
        rateLimit: { rps: 1e9, burst: 1e6 },
      })
      return {
        call: async () => await (await client.get(PATH)).json(),
        close: () => client.close(),
      }
    },
  },
]

export const CLIENT_SETS = { clients: CLIENTS, retry: RETRY_CLIENTS, features: FEATURE_CLIENTS }
