// Mooring, undici's Pool, global fetch and axios side by side behind one real nginx, in one run:
// the reload and restart scenarios of packages/core/test/soak/nginx.soak.test.ts, with every client
// loading the same nginx at the same time, through the same reloads. Prints failed/total per client
// per scenario, POSTs delivered twice (from nginx's access log and the upstream's counts) and, for
// Mooring, the `delivery` labels against those logs. Run by hand, not in CI:
//
//   pnpm build && node bench/reliability/nginx-compare.mjs [--seconds=20] [--concurrency=8] [--json]
//
// Needs nginx (Debian: apt-get install nginx). Imports the built @mooring/core (packages/core/dist).
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { fileURLToPath } from 'node:url'
import { ensureBuilt } from '../lib/build.mjs'
import { importFrom } from '../lib/resolve.mjs'

const TLS_DIR = new URL('../../packages/core/test/fixtures/tls/', import.meta.url)
const CA_FILE = fileURLToPath(new URL('ca.pem', TLS_DIR))

// fetch and axios trust a CA through the process's store only: run again with the test CA added to
// it (and import.meta.resolve's parent argument, which bench/lib/resolve.mjs uses for undici).
if (process.env.MOORING_NGINX_COMPARE !== 'child') {
  const result = spawnSync(
    process.execPath,
    ['--experimental-import-meta-resolve', fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, MOORING_NGINX_COMPARE: 'child', NODE_EXTRA_CA_CERTS: CA_FILE },
    },
  )
  process.exit(result.status ?? 1)
}

const { findNginx, startNginx } = await import('../../packages/core/test/soak/support/nginx.mjs')
const { ID_HEADER, judge, reloadEvery, restartOnce, runLoad, startRecordingUpstream } = await import(
  '../../packages/core/test/soak/support/load.mjs'
)

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((arg) => arg.startsWith('--'))
    .map((arg) => {
      const [key, value] = arg.slice(2).split('=')
      return [key, value ?? 'true']
    }),
)
const SECONDS = Number(args.seconds ?? 20)
const CONCURRENCY = Number(args.concurrency ?? 8)
const TIMEOUT_MS = 10_000
if (!(SECONDS > 0 && SECONDS <= 600)) throw new Error(`--seconds: expected 1 to 600, got ${args.seconds}`)
if (!(Number.isInteger(CONCURRENCY) && CONCURRENCY > 0 && CONCURRENCY <= 64)) {
  throw new Error(`--concurrency: expected an integer from 1 to 64, got ${args.concurrency}`)
}

const log = (line) => process.stderr.write(`${line}\n`)
if (!findNginx()) {
  log('nginx is not installed (apt-get install -y nginx)')
  process.exit(1)
}
ensureBuilt(log)
const { createClient } = await import('@mooring/core')
const { Pool } = await importFrom('core', 'undici')
const { default: axios } = await import('axios')
const ca = readFileSync(CA_FILE, 'utf8')
const json = (id) => JSON.stringify({ id })

/**
 * Each client as its users would set it up for this transport, reduced to `send(method, path, id)`:
 * resolves with the status once the body is read. Same total bound (10 s) for all.
 */
function makeClients(baseUrl, http2) {
  const mooring = createClient({
    baseUrl,
    timeout: { total: TIMEOUT_MS },
    ...(http2 && { http2: true, limits: { pipelining: 100 }, tls: { ca } }),
  })
  const pool = new Pool(baseUrl, {
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
    ...(http2 && { allowH2: true, pipelining: 100, connect: { ca } }),
  })
  const instance = axios.create({
    baseURL: baseUrl,
    timeout: TIMEOUT_MS,
    validateStatus: () => true,
    responseType: 'text',
    httpAgent: new HttpAgent({ keepAlive: true }),
    httpsAgent: new HttpsAgent({ keepAlive: true, ca }),
    ...(http2 && { httpVersion: 2 }),
  })
  return [
    {
      name: 'mooring',
      label: http2 ? 'Mooring (`http2: true`, `pipelining: 100`)' : 'Mooring (defaults)',
      async send(method, path, id) {
        const res = await mooring.request({
          method,
          path,
          headers: { [ID_HEADER]: id },
          ...(method === 'POST' && { json: { id } }),
        })
        await res.bytes()
        return res.status
      },
      close: () => mooring.close(),
    },
    {
      name: 'undici-pool',
      label: http2 ? 'undici Pool (`allowH2`, `pipelining: 100`)' : 'undici Pool',
      async send(method, path, id) {
        const res = await pool.request({
          method,
          path,
          headers: { [ID_HEADER]: id, ...(method === 'POST' && { 'content-type': 'application/json' }) },
          ...(method === 'POST' && { body: json(id) }),
        })
        await res.body.text()
        return res.statusCode
      },
      close: () => pool.close(),
    },
    {
      name: 'fetch',
      label: http2 ? 'global fetch (HTTP/1.1: no h2 by default)' : 'global fetch',
      async send(method, path, id) {
        const res = await fetch(new URL(path, baseUrl), {
          method,
          headers: { [ID_HEADER]: id, ...(method === 'POST' && { 'content-type': 'application/json' }) },
          ...(method === 'POST' && { body: json(id) }),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        })
        await res.text()
        return res.status
      },
      close: async () => {},
    },
    {
      name: 'axios',
      label: http2 ? 'axios (`httpVersion: 2`)' : 'axios (keep-alive agent)',
      async send(method, path, id) {
        const res = await instance.request({
          method,
          url: path,
          headers: { [ID_HEADER]: id },
          ...(method === 'POST' && { data: { id } }),
        })
        return res.status
      },
      close: async () => {
        instance.defaults.httpAgent.destroy()
        instance.defaults.httpsAgent.destroy()
      },
    },
  ]
}

const SCENARIOS = [
  { name: 'HTTP/1.1, reload every 200 ms', tag: 'h1-reload', http2: false, kind: 'reload' },
  { name: 'HTTP/2 + TLS, reload every 200 ms', tag: 'h2-reload', http2: true, kind: 'reload' },
  { name: 'HTTP/1.1, restart (1 s down)', tag: 'h1-restart', http2: false, kind: 'restart' },
  { name: 'HTTP/2 + TLS, restart (1 s down)', tag: 'h2-restart', http2: true, kind: 'restart' },
]

async function runScenario(scenario) {
  const upstream = await startRecordingUpstream()
  const nginx = await startNginx({
    upstreamPort: upstream.port,
    cert: fileURLToPath(new URL('server.pem', TLS_DIR)),
    key: fileURLToPath(new URL('server-key.pem', TLS_DIR)),
  })
  const clients = makeClients(scenario.http2 ? nginx.tlsUrl : nginx.plainUrl, scenario.http2)
  try {
    const durationMs = scenario.kind === 'reload' ? SECONDS * 1_000 : Math.max(4_000, (SECONDS * 1_000) / 2)
    const { calls, disturbance } = await runLoad({
      tag: scenario.tag,
      clients,
      durationMs,
      concurrency: CONCURRENCY,
      disturb: (signal, origin) =>
        scenario.kind === 'reload'
          ? reloadEvery(nginx, 200, signal)
          : restartOnce(nginx, { afterMs: 1_500, gapMs: 1_000, origin }),
    })
    for (const client of clients) await client.close()
    await nginx.stop()
    const accessLog = await nginx.accessLog()
    const protocols = {}
    for (const line of accessLog) protocols[line.protocol] = (protocols[line.protocol] ?? 0) + 1
    return {
      scenario: scenario.name,
      durationMs,
      disturbance,
      protocols,
      clients: clients.map((client) => ({
        client: client.label,
        ...judge(
          calls.filter((call) => call.client === client.name),
          accessLog,
          upstream.seen,
        ),
      })),
    }
  } finally {
    await nginx.close()
    await upstream.close()
  }
}

const cell = ({ failed, total }) => `${failed.toLocaleString('en')} / ${total.toLocaleString('en')}`
const counts = (record) =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([key, n]) => `${key} ×${n}`)
    .join(', ') || '-'

const results = []
log(
  `nginx ${spawnSync(findNginx(), ['-v'], { encoding: 'utf8' }).stderr.trim()}, Node ${process.version}, ` +
    `${CONCURRENCY} loops per client, ${SECONDS} s per reload scenario`,
)
for (const scenario of SCENARIOS) {
  log(`running: ${scenario.name}`)
  results.push(await runScenario(scenario))
}

if (args.json === 'true') {
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
} else {
  for (const result of results) {
    const disturbance =
      typeof result.disturbance === 'number'
        ? `${result.disturbance} reloads`
        : `stopped at ${Math.round(result.disturbance.stopped)} ms, up again at ${Math.round(result.disturbance.up)} ms`
    process.stdout.write(
      `\n### ${result.scenario} (${result.durationMs / 1_000} s, ${disturbance}; nginx logged ${counts(result.protocols)})\n\n`,
    )
    process.stdout.write(
      '| client | GET failed / total | POST failed / total | POST delivered twice | failures | delivery label / in nginx or upstream log |\n',
    )
    process.stdout.write('| --- | --- | --- | --- | --- | --- |\n')
    for (const row of result.clients) {
      process.stdout.write(
        `| ${row.client} | ${cell(row.gets)} | ${cell(row.posts)} | ${row.postsDeliveredTwice.length} | ${counts(row.failures)} | ${counts(row.delivery)} |\n`,
      )
    }
  }
}
