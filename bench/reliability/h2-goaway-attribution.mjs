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
// it. An error's REFUSED_STREAM is therefore not proof that its request was not processed: undici
// handed it on from another stream, the same error object going to several requests (the "error went
// to" column). Then the same load through Mooring (packages/core/dist: `pnpm build` first) with
// retries off, and how many requests nginx or the upstream served Mooring labels `not-sent`: must be 0
// (the script exits 1 otherwise). A GET's stale-connection replay reuses its id, so for those the
// stream columns describe the last attempt while nginx may have logged the first.
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
const ca = readFileSync(new URL('ca.pem', TLS_DIR))

/** GETs from 16 loops for `seconds` while nginx reloads every 200 ms; resolves with the failures. */
async function load(prefix, send) {
  const failures = []
  let n = 0
  const end = performance.now() + seconds * 1_000
  async function loop() {
    while (performance.now() < end) {
      const id = `${prefix}-${n++}`
      try {
        await send(id)
      } catch (err) {
        failures.push({ id, err })
      }
    }
  }
  const reloads = setInterval(() => nginx.reload(), 200)
  await Promise.all(Array.from({ length: 16 }, loop))
  clearInterval(reloads)
  return { gets: n, failures }
}

// 1. undici's Pool as its users would set it up for HTTP/2 multiplexing.
const pool = new Pool(nginx.tlsUrl, { allowH2: true, pipelining: 100, connect: { ca } })
const undiciRun = await load('a', async (id) => {
  const res = await pool.request({ method: 'GET', path: '/a', headers: { [ID_HEADER]: id } })
  await res.body.text()
})
await pool.close()

// 2. Mooring on the same kind of Pool, so the same failures arise, with retries off so each failure
// shows the label of its one attempt (a GET's stale-connection replay stays, as documented).
const { createClient } = await import('@mooring/core')
const mooringPool = new Pool(nginx.tlsUrl, { allowH2: true, pipelining: 100, connect: { ca } })
const client = createClient({
  baseUrl: nginx.tlsUrl,
  transport: mooringPool,
  retry: false,
  timeout: { total: 10_000 },
})
const mooringRun = await load('m', async (id) => {
  const res = await client.get('/a', { headers: { [ID_HEADER]: id } })
  await res.bytes()
})
await client.close()
await mooringPool.close()

await nginx.stop()
const logged = new Map((await nginx.accessLog()).map((line) => [line.id, line.status]))
const served = (id) => logged.has(id) || (upstream.seen.get(id) ?? 0) > 0

/** How many failures each error object went to: undici hands one stream's error to several requests. */
function recipients(failures, errorOf) {
  const counts = new Map()
  for (const failure of failures) {
    const err = errorOf(failure.err)
    counts.set(err, (counts.get(err) ?? 0) + 1)
  }
  return (failure) => counts.get(errorOf(failure.err))
}

function table(title, { gets, failures }, errorOf, label = () => undefined) {
  const shared = recipients(failures, errorOf)
  const kinds = {}
  for (const failure of failures) {
    const { id } = failure
    const stream = streams.get(id)
    const goaway = stream && goaways.get(stream.session)
    const key = [
      errorOf(failure.err).message.replace(/ \(.*$/, ''),
      `error went to ${shared(failure) === 1 ? '1 request' : '>1 requests'}`,
      `own stream ${goaway ? (stream.id > goaway.lastStreamID ? '> last-stream-id' : '<= last-stream-id') : '(no GOAWAY)'}`,
      `own RST ${stream?.rst}`,
      `nginx ${logged.get(id) ?? 'nothing'}`,
      `upstream saw ${upstream.seen.get(id) ?? 0}`,
      ...(label(failure.err) ? [`Mooring: ${label(failure.err)}`] : []),
    ].join(' | ')
    kinds[key] = (kinds[key] ?? 0) + 1
  }
  console.log(`${title}: ${gets} GETs, ${failures.length} failed`)
  for (const [key, count] of Object.entries(kinds).sort((a, b) => b[1] - a[1]))
    console.log(`${count}\t${key}`)
}

console.log(`${sessions} h2 sessions, ${nginx.reloads} reloads`)
table('undici Pool', undiciRun, (err) => err)
table(
  'Mooring, retries off',
  mooringRun,
  (err) => err.cause ?? err,
  (err) => err.delivery,
)
const H2_REFUSAL =
  /NGHTTP2_REFUSED_STREAM|ERR_HTTP2_GOAWAY_SESSION|ERR_HTTP2_INVALID_SESSION|ERR_HTTP2_STREAM_CANCEL/
/** Served requests a rule "every HTTP/2 refusal is not-sent" would have labelled not-sent. */
const naiveLies = ({ failures }, errorOf) =>
  failures.filter((f) => served(f.id) && H2_REFUSAL.test(`${errorOf(f.err).code} ${errorOf(f.err).message}`))
    .length
const servedFailures = mooringRun.failures.filter((f) => served(f.id))
const lies = servedFailures.filter((f) => f.err.delivery === 'not-sent')
const refusedNotSent = mooringRun.failures.filter(
  (f) => f.err.delivery === 'not-sent' && H2_REFUSAL.test(f.err.causeCode),
)
console.log(
  `"every refusal is not-sent" would mislabel served requests: undici Pool run ${naiveLies(undiciRun, (err) => err)}, ` +
    `Mooring run ${naiveLies(mooringRun, (err) => err.cause ?? err)}`,
)
console.log(
  `Mooring: ${servedFailures.length} failed requests nginx or the upstream served; labelled not-sent: ${lies.length} (must be 0)` +
    `; HTTP/2 refusals proved the call's own, labelled not-sent: ${refusedNotSent.length}`,
)
await nginx.close()
await upstream.close()
if (lies.length > 0) process.exitCode = 1
