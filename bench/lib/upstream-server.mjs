// The upstream every benchmark calls, run in its own process (forked by upstream.mjs) so its CPU is
// never charged to the client under test. A raw TCP server with one canned keep-alive response
// rather than node:http: the cheaper the upstream, the less it caps the clients' req/s on two cores.
// It serves GET only (no request bodies to frame) and counts the connections it accepts.
import { createServer } from 'node:net'
import { serve } from './ipc.mjs'

const BODY = Buffer.from(
  JSON.stringify({ ok: true, id: 42, name: 'mooring', tags: ['pool', 'scope', 'close'] }),
)
const RESPONSE = Buffer.from(
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`,
)
const NOT_GET = Buffer.from('HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
const HEAD_END = Buffer.from('\r\n\r\n')
const CONNECTION_CLOSE = /\r\nconnection:[ \t]*close/i
/** A request head larger than this is not something a benchmark client sends. */
const MAX_HEAD = 16 * 1024

let connections = 0
let requests = 0
const sockets = new Set()

const server = createServer({ noDelay: true }, (socket) => {
  connections++
  sockets.add(socket)
  let pending = null
  socket.on('data', (chunk) => {
    let buf = pending === null ? chunk : Buffer.concat([pending, chunk])
    pending = null
    for (;;) {
      const end = buf.indexOf(HEAD_END)
      if (end === -1) {
        if (buf.length > MAX_HEAD) socket.destroy()
        else if (buf.length > 0) pending = buf
        return
      }
      requests++
      if (buf[0] !== 0x47 || buf[1] !== 0x45 || buf[2] !== 0x54 || buf[3] !== 0x20) {
        socket.end(NOT_GET)
        return
      }
      const head = buf.latin1Slice(0, end)
      if (CONNECTION_CLOSE.test(head)) {
        socket.end(RESPONSE)
        return
      }
      socket.write(RESPONSE)
      buf = buf.subarray(end + HEAD_END.length)
    }
  })
  socket.on('error', () => {})
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
