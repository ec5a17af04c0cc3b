// The upstream every benchmark calls, run in its own process (forked by upstream.mjs) so its CPU is
// never charged to the client under test: a keep-alive `node:http` server that answers every GET
// with the same 217-byte JSON, the kind of body a real service returns. It counts the connections
// it accepts and the requests it served.
import { createServer } from 'node:http'
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

let connections = 0
let requests = 0
const sockets = new Set()

const server = createServer({ noDelay: true, keepAlive: true }, (req, res) => {
  requests++
  if (req.method !== 'GET') {
    res.writeHead(501, { 'content-length': '0', connection: 'close' }).end()
    return
  }
  res.writeHead(200, HEADERS).end(BODY)
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
