// The upstream every benchmark calls, run in its own process (forked by upstream.mjs) so its CPU is
// never charged to the client under test: a keep-alive `node:http` server that answers every GET
// with the same 217-byte JSON, the kind of body a real service returns. It counts the connections
// it accepts and the requests it served. A few paths answer the same JSON with what a feature of
// the client acts on (the instructions section's "features on" rows); every other path is plain.
import { createServer } from 'node:http'
import { gzipSync } from 'node:zlib'
import { serve } from './ipc.mjs'

const BODY = Buffer.from(
  JSON.stringify({
    ok: true,
    id: 42,
    name: 'mooring',
    tags: ['pool', 'scope', 'close'],
    owner: { team: 'platform', region: 'eu-west-1' },
    limits: { connections: 16, pipelining: 1 },
    updatedAt: '2026-11-29T19:00:00.000Z',
    note: '217-byte',
  }),
)
if (BODY.length !== 217) throw new Error(`upstream body is ${BODY.length} bytes, not 217`)
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) }
/** Compressed once: the client's decoding is measured, not the upstream's encoding. */
const GZIPPED = gzipSync(BODY)
const GZIP_HEADERS = {
  'content-type': 'application/json',
  'content-encoding': 'gzip',
  vary: 'accept-encoding',
  'content-length': String(GZIPPED.length),
}
const PLAIN_VARY_HEADERS = { ...HEADERS, vary: 'accept-encoding' }
/** Fresh for a day, for a shared cache too: after the first call every call is a hit. */
const CACHED_HEADERS = { ...HEADERS, 'cache-control': 'public, max-age=86400' }
const COOKIE = 'session=7f3a9c2e4b1d8f60; Path=/; HttpOnly'
/** `x-had-cookie` says whether the request brought the cookie back (the bench checks it once, after the load). */
const COOKIE_HEADERS = { ...HEADERS, 'set-cookie': COOKIE, 'x-had-cookie': 'no' }
const COOKIE_BACK_HEADERS = { ...HEADERS, 'set-cookie': COOKIE, 'x-had-cookie': 'yes' }

/** The paths with something for a feature; any other path gets the plain JSON. */
const FEATURE_PATHS = new Map(
  Object.entries({
    /** Gzip when the request accepts it (as a real service negotiates), else the same JSON plain. */
    '/json.gz': (req, res) => {
      if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) res.writeHead(200, GZIP_HEADERS).end(GZIPPED)
      else res.writeHead(200, PLAIN_VARY_HEADERS).end(BODY)
    },
    /** Cacheable: `public, max-age=86400`. */
    '/json.cached': (_req, res) => res.writeHead(200, CACHED_HEADERS).end(BODY),
    /** Sets a session cookie on every answer, as a session-keeping service refreshes it. */
    '/json.cookie': (req, res) =>
      res
        .writeHead(200, req.headers.cookie?.includes('session=') ? COOKIE_BACK_HEADERS : COOKIE_HEADERS)
        .end(BODY),
  }),
)

let connections = 0
let requests = 0
const sockets = new Set()

const server = createServer({ noDelay: true, keepAlive: true }, (req, res) => {
  requests++
  if (req.method !== 'GET') {
    res.writeHead(501, { 'content-length': '0', connection: 'close' }).end()
    return
  }
  const feature = FEATURE_PATHS.get(req.url)
  if (feature === undefined) res.writeHead(200, HEADERS).end(BODY)
  else feature(req, res)
})
// Idle connections stay open between rounds, as a pool expects of a service it talks to.
server.keepAliveTimeout = 120_000
server.on('connection', (socket) => {
  connections++
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
})

server.listen(0, '127.0.0.1', () => {
  serve(
    {
      stats: () => ({ connections, open: sockets.size, requests }),
      close: () =>
        new Promise((resolve) => {
          for (const socket of sockets) socket.destroy()
          server.close(resolve)
        }),
    },
    { port: server.address().port },
  )
})
