// Which HTTP/2 stream did undici's error belong to? GETs through undici's Pool (allowH2,
// pipelining 100) behind nginx reloading every 200 ms, with node:http2 watched underneath: for each
// failed request, its own stream's id and RST code, the GOAWAY's last-stream-id on its session, and
// whether nginx logged it and the upstream saw it. Run by hand, not in CI:
//
//   node bench/reliability/h2-goaway-attribution.mjs [--seconds=4]
//
// What it showed (undici 7.30.2, nginx 1.22.1, Node 20): most REFUSED_STREAM errors belong to
// streams past the last-stream-id, never processed; but some requests fail with a REFUSED_STREAM
// error while their own stream was at or below the last-stream-id, was reset locally (code 2) when
// undici tore the session down, and had been served: nginx logged it (200 or 499), the upstream saw
// it. An error's REFUSED_STREAM is therefore not proof that its request was not processed.
import http2 from 'node:http2'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startNginx } from '../../packages/core/test/soak/support/nginx.mjs'
import { ID_HEADER, startRecordingUpstream } from '../../packages/core/test/soak/support/load.mjs'
import { createRequire } from 'node:module'

const TLS_DIR = new URL('../../packages/core/test/fixtures/tls/', import.meta.url)
const seconds = Number(process.argv.find((arg) => arg.startsWith('--seconds='))?.split('=')[1] ?? 4)
if (!(seconds > 0 && seconds <= 60)) throw new Error(`--seconds: expected 1 to 60, got ${seconds}`)
const { Pool } = createRequire(new URL('../../packages/core/package.json', import.meta.url))('undici')

// Watch every session undici opens: its GOAWAY, and each stream's id and RST code by request id.
const streams = new Map()
const goaways = new Map()
let sessions = 0
const connect = http2.connect
http2.connect = function watchedConnect(...args) {
  const session = connect.apply(this, args)
  const n = ++sessions
  session.on('goaway', (code, lastStreamID) => goaways.set(n, { code, lastStreamID }))
  const request = session.request
  session.request = function watchedRequest(headers, options) {
    const stream = request.call(this, headers, options)
    const record = { session: n, id: stream.id, rst: undefined }
    streams.set(headers[ID_HEADER], record)
    stream.once('ready', () => {
      record.id = stream.id
    })
    stream.once('close', () => {
      record.rst = stream.rstCode
    })
    return stream
  }
  return session
}

const upstream = await startRecordingUpstream()
const nginx = await startNginx({
  upstreamPort: upstream.port,
  cert: fileURLToPath(new URL('server.pem', TLS_DIR)),
  key: fileURLToPath(new URL('server-key.pem', TLS_DIR)),
})
const pool = new Pool(nginx.tlsUrl, {
  allowH2: true,
  pipelining: 100,
  connect: { ca: readFileSync(new URL('ca.pem', TLS_DIR)) },
})
const failures = []
let n = 0
const end = performance.now() + seconds * 1_000
async function loop() {
  while (performance.now() < end) {
    const id = `a-${n++}`
    try {
      const res = await pool.request({ method: 'GET', path: '/a', headers: { [ID_HEADER]: id } })
      await res.body.text()
    } catch (err) {
      failures.push({ id, message: err.message })
    }
  }
}
const reloads = setInterval(() => nginx.reload(), 200)
await Promise.all(Array.from({ length: 16 }, loop))
clearInterval(reloads)
await pool.close()
await nginx.stop()
const logged = new Map((await nginx.accessLog()).map((line) => [line.id, line.status]))

const kinds = {}
for (const { id, message } of failures) {
  const stream = streams.get(id)
  const goaway = stream && goaways.get(stream.session)
  const key = [
    message.replace(/ \(.*$/, ''),
    `own stream ${goaway ? (stream.id > goaway.lastStreamID ? '> last-stream-id' : '<= last-stream-id') : '(no GOAWAY)'}`,
    `own RST ${stream?.rst}`,
    `nginx ${logged.get(id) ?? 'nothing'}`,
    `upstream saw ${upstream.seen.get(id) ?? 0}`,
  ].join(' | ')
  kinds[key] = (kinds[key] ?? 0) + 1
}
console.log(`${n} GETs, ${failures.length} failed, ${sessions} h2 sessions, ${nginx.reloads} reloads`)
for (const [key, count] of Object.entries(kinds).sort((a, b) => b[1] - a[1])) console.log(`${count}\t${key}`)
await nginx.close()
await upstream.close()
