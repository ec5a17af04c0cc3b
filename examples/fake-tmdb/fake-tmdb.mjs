import { once } from 'node:events'
import { createServer } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { normalizeOptions } from './options.mjs'
import { searchTv } from './search.mjs'

const INVALID_KEY = {
  status_code: 7,
  status_message: 'Invalid API key: You must be granted a valid key.',
  success: false,
}
const NOT_FOUND = {
  status_code: 34,
  status_message: 'The resource you requested could not be found.',
  success: false,
}
const MAINTENANCE = {
  status_code: 46,
  status_message: 'The API is undergoing maintenance. Try again later.',
  success: false,
}

/**
 * A local stand-in for TMDB's `/3/search/tv` on 127.0.0.1, with faults to switch on: latency, a share
 * of 503s with `Retry-After`, and dropping requests that arrive on a reused keep-alive connection
 * (a server closing an idle connection just as the client reuses it). Counts the connections it
 * accepted and the ones still open, so a test can see a client let go of its sockets.
 */
export async function startFakeTmdb(options) {
  const o = normalizeOptions(options)
  const sockets = new Set()
  const requestsOn = new WeakMap()
  const counts = { connections: 0, requests: 0, ok: 0, unavailable: 0, dropped: 0, unauthorized: 0 }

  const server = createServer(async (req, res) => {
    counts.requests++
    const served = (requestsOn.get(req.socket) ?? 0) + 1
    requestsOn.set(req.socket, served)
    if (served > 1 && o.dropRate > 0 && Math.random() < o.dropRate) {
      counts.dropped++
      req.socket.destroy()
      return
    }
    const [min, max] = o.latency
    if (max > 0) {
      await sleep(min + Math.floor(Math.random() * (max - min + 1)))
      if (res.destroyed) return
    }
    if (o.failRate > 0 && Math.random() < o.failRate) {
      counts.unavailable++
      const retryAfter = o.retryAfter[Math.floor(Math.random() * o.retryAfter.length)]
      send(res, 503, MAINTENANCE, { 'retry-after': String(retryAfter) })
      return
    }
    const url = new URL(req.url ?? '/', 'http://fake-tmdb.invalid')
    if (!authorized(req.headers.authorization, url.searchParams.get('api_key'), o.apiKey)) {
      counts.unauthorized++
      send(res, 401, INVALID_KEY)
      return
    }
    if (url.pathname !== '/3/search/tv' || req.method !== 'GET') {
      send(res, 404, NOT_FOUND)
      return
    }
    const { status, body } = searchTv(url.searchParams.get('query'), url.searchParams.get('page'))
    if (status === 200) counts.ok++
    send(res, status, body)
  })
  server.on('connection', (socket) => {
    counts.connections++
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.listen(o.port, o.host)
  await once(server, 'listening')
  const { port } = server.address()
  const origin = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`

  return {
    /** What TMDB_BASE_URL would be: `http://127.0.0.1:PORT/3`. */
    baseUrl: `${origin}/3`,
    origin,
    apiKey: o.apiKey,
    /** Connections accepted since start. */
    get connections() {
      return counts.connections
    },
    /** Connections open now. */
    get open() {
      return sockets.size
    },
    /** Every count at this moment. */
    stats() {
      return { ...counts, open: sockets.size }
    },
    /** Resolves true once `count` connections are open, false if that has not happened within `timeoutMs`. */
    async waitForOpen(count, timeoutMs = 2_000) {
      const until = Date.now() + timeoutMs
      while (sockets.size !== count) {
        if (Date.now() >= until) return false
        await sleep(10)
      }
      return true
    },
    async close() {
      server.close()
      for (const socket of sockets) socket.destroy()
      if (server.listening) await once(server, 'close')
    },
  }
}

/** TMDB takes a key as `Authorization: Bearer <key>` or as the `api_key` query parameter. */
function authorized(authorization, apiKeyParam, apiKey) {
  return authorization === `Bearer ${apiKey}` || apiKeyParam === apiKey
}

function send(res, status, body, headers = {}) {
  const json = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': Buffer.byteLength(json),
    ...headers,
  })
  res.end(json)
}
