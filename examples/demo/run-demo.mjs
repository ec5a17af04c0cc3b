import { startFakeTmdb } from '@mooring/example-fake-tmdb'
import { burst } from './burst.mjs'

/** What `pnpm demo` turns on in fake-tmdb. */
export const DEMO_FAULTS = { latency: [2, 12], failRate: 0.03, retryAfter: [0, 1], dropRate: 0.05 }
/** Mooring's default retry limit. */
const RETRY_LIMIT = 2

/**
 * The one way a search may fail: the app's 502 after the client used every attempt it had (a stale
 * replay adds one) on the faults fake-tmdb injects, a 503 or a dropped connection each time.
 */
function gaveUpOnFaults(status, body) {
  return (
    status === 502 &&
    (body?.upstreamStatus === 503 || body?.code === 'MOORING_CONNECTION') &&
    body?.attempts >= RETRY_LIMIT + 1
  )
}

/**
 * Runs every example (`{ framework, startServer }`) in app scope and in request scope against one
 * fake-tmdb with `faults`: a burst of `requests` searches each, then the app's shutdown, then what
 * is left open upstream. Returns a result per run, each with the problems that make the demo fail.
 */
export async function runDemo({
  examples,
  requests,
  concurrency = 16,
  faults = DEMO_FAULTS,
  onStart,
  onProgress,
}) {
  const fake = await startFakeTmdb(faults)
  onStart?.(fake)
  const results = []
  try {
    for (const { framework, startServer } of examples) {
      for (const scope of ['app', 'request']) {
        results.push(await runOne(fake, { framework, scope, startServer, requests, concurrency, onProgress }))
      }
    }
  } finally {
    await fake.close()
  }
  return results
}

async function runOne(fake, { framework, scope, startServer, requests, concurrency, onProgress }) {
  const label = `${framework}/${scope}`
  const before = fake.stats()
  const app = await startServer({ tmdb: { baseUrl: fake.baseUrl, apiKey: fake.apiKey }, scope, port: 0 })
  let outcome
  try {
    outcome = await burst(app.url, {
      requests,
      concurrency,
      label,
      onProgress: (done, ok) => onProgress?.(label, done, ok, requests),
    })
  } finally {
    // What SIGTERM does in the example: stop the server, let requests in flight finish, close the client.
    await app.close()
  }
  // Client sockets idle in a pool would stay open for their keep-alive (4 s): 2 s tells them apart.
  const closedAll = await fake.waitForOpen(0, 2_000)
  const after = fake.stats()
  const stats = app.stats()

  const problems = []
  let exhausted = 0
  for (const { status, body } of outcome.failures) {
    if (gaveUpOnFaults(status, body)) exhausted++
    else problems.push(`a search failed: ${status} ${JSON.stringify(body)}`)
  }
  if (!closedAll) problems.push(`${fake.open} upstream socket(s) still open after shutdown`)
  if (stats.inFlight !== 0) problems.push(`${stats.inFlight} call(s) still in flight after shutdown`)
  const expectedScopes = scope === 'request' ? requests : 0
  if (stats.scopesOpened !== expectedScopes || stats.scopesClosed !== stats.scopesOpened) {
    problems.push(
      `${stats.scopesClosed} of ${stats.scopesOpened} request scopes closed, for ${requests} requests`,
    )
  }
  return {
    framework,
    scope,
    requests,
    ok: outcome.ok,
    exhausted,
    p50: outcome.p50,
    p99: outcome.p99,
    connections: after.connections - before.connections,
    unavailable: after.unavailable - before.unavailable,
    dropped: after.dropped - before.dropped,
    retries: stats.origins[fake.origin]?.retries ?? {},
    scopesOpened: stats.scopesOpened,
    scopesClosed: stats.scopesClosed,
    socketsLeft: fake.open,
    problems,
  }
}
