// `pnpm demo`: every example app, in app scope and in request scope, against one fake-tmdb with
// faults on. Each gets a burst of searches, is shut down as SIGTERM would, and is measured: did the
// searches succeed, how many upstream connections did they take, what was retried and why, and were
// any sockets left open once the app had closed. Exits 1 if a search failed that should not have,
// or anything was left open.
import { startFakeTmdb } from '@mooring/example-fake-tmdb'
import { burst } from './burst.mjs'
import { ms, renderTable, retries } from './table.mjs'

const EXAMPLES = [
  ['express', '@mooring/example-express'],
  ['fastify', '@mooring/example-fastify'],
  ['hono', '@mooring/example-hono'],
  ['nest', '@mooring/example-nest'],
]
const REQUESTS = Number(process.env.DEMO_REQUESTS ?? 300)
const CONCURRENCY = 16
const FAULTS = { latency: [2, 12], failRate: 0.03, retryAfter: [0, 1], dropRate: 0.05 }
const RETRY_LIMIT = 2

const fake = await startFakeTmdb(FAULTS)
console.log(
  `fake-tmdb on ${fake.baseUrl}: ${FAULTS.latency.join('-')} ms latency, ` +
    `${FAULTS.failRate * 100}% answered 503 (Retry-After ${FAULTS.retryAfter.join(' or ')} s), ` +
    `${FAULTS.dropRate * 100}% of requests on a reused connection dropped unanswered`,
)
console.log(`${REQUESTS} searches per app, ${CONCURRENCY} at a time\n`)

const results = []
try {
  for (const [framework, pkg] of EXAMPLES) {
    const { startServer } = await import(pkg)
    for (const scope of ['app', 'request']) results.push(await run(framework, scope, startServer))
  }
} finally {
  await fake.close()
}

console.log(
  `\n${renderTable(
    [
      'framework',
      'scope',
      'requests',
      'succeeded',
      'upstream conns',
      'p50',
      'p99',
      'retries by reason',
      'scopes closed',
      'sockets left',
    ],
    results.map((r) => [
      r.framework,
      r.scope,
      r.requests,
      r.ok,
      r.connections,
      ms(r.p50),
      ms(r.p99),
      retries(r.retries),
      r.scope === 'app' ? '- (app client)' : `${r.scopesClosed}/${r.scopesOpened}`,
      r.socketsLeft,
    ]),
  )}\n`,
)
const faults = results.reduce(
  (sum, r) => ({
    unavailable: sum.unavailable + r.upstream.unavailable,
    dropped: sum.dropped + r.upstream.dropped,
  }),
  { unavailable: 0, dropped: 0 },
)
console.log(
  `fake-tmdb answered ${faults.unavailable} requests 503 and dropped ${faults.dropped} on reused connections; ` +
    'Mooring retried the 503s after their Retry-After and replayed the dropped ones on a fresh connection.',
)
const exhausted = results.reduce((sum, r) => sum + r.exhausted, 0)
if (exhausted > 0) {
  console.log(
    `${exhausted} search(es) met a 503 on all ${RETRY_LIMIT + 1} attempts and answered 502: the retry limit ` +
      'working as set, not a failure of the demo.',
  )
}
const problems = results.flatMap((r) => r.problems.map((p) => `${r.framework} ${r.scope}: ${p}`))
if (problems.length > 0) {
  console.error(`\nFAILED:\n  ${problems.join('\n  ')}`)
  process.exitCode = 1
} else {
  console.log('Every search that could succeed did, and every app closed its client and all its sockets.')
}

async function run(framework, scope, startServer) {
  const label = `${framework}/${scope}`
  const before = fake.stats()
  const app = await startServer({ tmdb: { baseUrl: fake.baseUrl, apiKey: fake.apiKey }, scope, port: 0 })
  const progress = progressLine(label)
  let outcome
  try {
    outcome = await burst(app.url, {
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      label,
      onProgress: progress.update,
    })
  } finally {
    progress.done()
    // What SIGTERM does in the example: stop the server, let requests in flight finish, close the client.
    await app.close()
  }
  const closedAll = await fake.waitForOpen(0, 2_000)
  const after = fake.stats()
  const stats = app.stats()
  const origin = stats.origins[fake.origin] ?? { retries: {} }

  const problems = []
  // A search may fail only when fake-tmdb answered 503 to every attempt the retry policy allows.
  let exhausted = 0
  for (const { status, body } of outcome.failures) {
    if (status === 502 && body?.upstreamStatus === 503 && body?.attempts === RETRY_LIMIT + 1) exhausted++
    else problems.push(`a search failed: ${status} ${JSON.stringify(body)}`)
  }
  if (!closedAll) problems.push(`${fake.open} upstream socket(s) still open after shutdown`)
  if (stats.inFlight !== 0) problems.push(`${stats.inFlight} call(s) still in flight after shutdown`)
  if (scope === 'request' && (stats.scopesOpened !== REQUESTS || stats.scopesClosed !== stats.scopesOpened)) {
    problems.push(
      `${stats.scopesClosed} of ${stats.scopesOpened} request scopes closed, for ${REQUESTS} requests`,
    )
  }
  return {
    framework,
    scope,
    requests: outcome.requests,
    ok: outcome.ok,
    exhausted,
    p50: outcome.p50,
    p99: outcome.p99,
    connections: after.connections - before.connections,
    upstream: {
      unavailable: after.unavailable - before.unavailable,
      dropped: after.dropped - before.dropped,
    },
    retries: origin.retries,
    scopesOpened: stats.scopesOpened,
    scopesClosed: stats.scopesClosed,
    socketsLeft: fake.open,
    problems,
  }
}

/** One line per app, rewritten in place on a terminal; a line per quarter elsewhere (CI logs). */
function progressLine(label) {
  const tty = process.stdout.isTTY
  let shown = 0
  let lastQuarter = 0
  const write = (done, ok) => {
    const text = `  ${label.padEnd(16)} ${String(done).padStart(4)}/${REQUESTS} searches, ${ok} ok`
    if (tty) process.stdout.write(`\r${text}`)
    else console.log(text)
  }
  return {
    update(done, ok) {
      const now = Date.now()
      if (tty ? now - shown >= 100 || done === REQUESTS : Math.floor((done * 4) / REQUESTS) > lastQuarter) {
        shown = now
        lastQuarter = Math.floor((done * 4) / REQUESTS)
        write(done, ok)
      }
    },
    done() {
      if (tty) process.stdout.write('\n')
    },
  }
}
