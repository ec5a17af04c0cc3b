// GET and POST load through nginx while it reloads or restarts, and the judgement of what came of
// it: failures, their `delivery` labels against what nginx and the upstream logged, and POSTs
// delivered twice. Shared by nginx.soak.test.ts and bench/reliability/nginx-compare.mjs.
import { once } from 'node:events'
import { createServer } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'

/** The request id header every call carries, logged by nginx and counted by the upstream. */
export const ID_HEADER = 'x-request-id'

/**
 * A node:http upstream on 127.0.0.1 that counts the requests it receives per request id and
 * answers each, once its body is in, with a small JSON after 0 to 4 ms (so calls stay in flight
 * across reloads).
 */
export async function startRecordingUpstream() {
  /** @type {Map<string, number>} */
  const seen = new Map()
  let served = 0
  const server = createServer((req, res) => {
    const id = String(req.headers[ID_HEADER] ?? '')
    seen.set(id, (seen.get(id) ?? 0) + 1)
    req.resume()
    req.on('end', () => {
      setTimeout(() => {
        served++
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ id, method: req.method }))
      }, served % 5)
    })
  })
  // nginx keeps idle upstream connections up to 60 s; outlive every scenario so none is closed under it.
  server.keepAliveTimeout = 120_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: server.address().port,
    seen,
    async close() {
      server.closeAllConnections()
      server.close()
      if (server.listening) await once(server, 'close')
    },
  }
}

/**
 * @typedef {'GET' | 'POST'} Method
 * @typedef {{ name: string, send(method: Method, path: string, id: string): Promise<number> }} LoadClient
 *   `send` resolves with the status once the body has been read, or rejects with the client's error.
 * @typedef {{ client: string, id: string, method: Method, start: number, end: number, status?: number, error?: unknown }} Call
 */

/**
 * Runs `concurrency` loops per client for `durationMs`, every fourth call a POST (each call with an
 * id of its own, `<tag>-<client>-<n>`), while `disturb(signal, origin)` runs (`signal` aborts when
 * the load is over; `origin` is when it started, as `performance.now()`); resolves with every call made. A loop
 * whose call failed waits 10 ms, as a caller would, rather than spin. At most `maxCalls` per client.
 *
 * @param {{ tag: string, clients: LoadClient[], durationMs: number, concurrency: number, maxCalls?: number, disturb?: (signal: AbortSignal, origin: number) => Promise<unknown> }} options
 * @returns {Promise<{ calls: Call[], disturbance: unknown }>}
 */
/** How long the load goes on once a disturbance that ends by itself is over. */
const AFTER_DISTURBANCE_MS = 1_000

export async function runLoad({ tag, clients, durationMs, concurrency, maxCalls = 50_000, disturb }) {
  /** @type {Call[]} */
  const calls = []
  const started = performance.now()
  let end = started + durationMs
  const stop = new AbortController()
  const loops = clients.flatMap((client) => {
    let n = 0
    const loop = async () => {
      while (performance.now() < end && n < maxCalls) {
        const i = n++
        const method = i % 4 === 3 ? 'POST' : 'GET'
        const id = `${tag}-${client.name}-${i}`
        /** @type {Call} */
        const call = { client: client.name, id, method, start: performance.now() - started, end: 0 }
        try {
          call.status = await client.send(method, method === 'GET' ? `/item/${i}` : '/order', id)
        } catch (err) {
          call.error = err
        }
        call.end = performance.now() - started
        calls.push(call)
        if (call.status !== 200) await sleep(10)
      }
    }
    return Array.from({ length: concurrency }, loop)
  })
  const disturbance = disturb?.(stop.signal, started)
  // Its failure is reported below, once the loops are done; until then it is not unhandled.
  disturbance?.catch(() => {})
  // The load outlasts a disturbance that ends on its own (a restart: nginx's graceful stop can take
  // seconds under HTTP/2 load) by AFTER_DISTURBANCE_MS, so calls run on both sides of it. One that
  // runs until told to stop (reloads) settles after the loops and extends nothing.
  disturbance?.then(
    () => {
      end = Math.max(end, performance.now() + AFTER_DISTURBANCE_MS)
    },
    () => {},
  )
  await Promise.all(loops)
  stop.abort()
  return { calls, disturbance: await disturbance }
}

/** Reloads nginx every `everyMs` until `signal` aborts; resolves with the number of reloads. */
export async function reloadEvery(nginx, everyMs, signal) {
  let reloads = 0
  while (!signal.aborted) {
    await sleep(everyMs, undefined, { signal }).catch(() => {})
    if (signal.aborted) break
    nginx.reload()
    reloads++
  }
  return reloads
}

/**
 * After `afterMs`, stops nginx (gracefully: in-flight requests finish), waits `gapMs` and starts it
 * again on the same ports. Resolves with when (ms since `origin`) it was told to stop, had stopped,
 * and was accepting connections again. `origin` is `performance.now()` when the load started.
 */
export async function restartOnce(nginx, { afterMs, gapMs, origin }) {
  await sleep(afterMs)
  const stopping = performance.now() - origin
  await nginx.stop()
  const stopped = performance.now() - origin
  await sleep(gapMs)
  await nginx.start()
  return { stopping, stopped, up: performance.now() - origin }
}

/** `delivery` of a Mooring error (`not-sent` or `maybe`); `undefined` for other clients' errors. */
function deliveryOf(err) {
  const delivery = /** @type {{ delivery?: unknown } | null} */ (err)?.delivery
  return typeof delivery === 'string' ? delivery : undefined
}

/** A short name for what a call failed with: `ConnectionError(ECONNREFUSED)`, `status 502`, `TypeError(…)`. */
export function failureName(call) {
  if (call.error === undefined) return `status ${call.status}`
  const err = /** @type {{ name?: string, code?: string, causeCode?: string, cause?: { code?: string } }} */ (
    call.error
  )
  const code = err?.causeCode ?? err?.code ?? err?.cause?.code ?? err?.cause?.cause?.code
  return `${err?.name ?? typeof err}${code ? `(${code})` : ''}`
}

function countBy(items, key) {
  /** @type {Record<string, number>} */
  const counts = {}
  for (const item of items) {
    const k = key(item)
    counts[k] = (counts[k] ?? 0) + 1
  }
  return counts
}

/**
 * What came of a client's calls, against nginx's access log and the upstream's counts:
 * - `gets`, `posts`: `{ total, failed }` (a failure is an error or a status other than 200);
 * - `failures`: by what they failed with;
 * - `delivery`: failures by label and whether nginx or the upstream logged their id
 *   (`not-sent/logged` is a lie; `maybe/unlogged` is the honest answer when the client cannot know);
 * - `mislabelled`: failures labelled `not-sent` whose id nginx or the upstream logged;
 * - `postsDeliveredTwice`: POST ids logged more than once by nginx or seen more than once upstream;
 * - `logged(id)`: how many times nginx logged the id plus how many times the upstream saw it.
 *
 * @param {Call[]} calls
 * @param {Array<{ id: string }>} accessLog
 * @param {Map<string, number>} upstreamSeen
 */
export function judge(calls, accessLog, upstreamSeen) {
  /** @type {Map<string, number>} */
  const logged = new Map()
  for (const line of accessLog) logged.set(line.id, (logged.get(line.id) ?? 0) + 1)
  const failed = calls.filter((call) => call.status !== 200)
  const gets = calls.filter((call) => call.method === 'GET')
  const posts = calls.filter((call) => call.method === 'POST')
  const loggedTimes = (id) => (logged.get(id) ?? 0) + (upstreamSeen.get(id) ?? 0)
  const wasLogged = (call) => loggedTimes(call.id) > 0
  return {
    gets: { total: gets.length, failed: gets.filter((call) => call.status !== 200).length },
    posts: { total: posts.length, failed: posts.filter((call) => call.status !== 200).length },
    failures: countBy(failed, (call) => `${call.method} ${failureName(call)}`),
    delivery: countBy(
      failed,
      (call) => `${deliveryOf(call.error) ?? 'unlabelled'}/${wasLogged(call) ? 'logged' : 'unlogged'}`,
    ),
    mislabelled: failed
      .filter((call) => deliveryOf(call.error) === 'not-sent' && wasLogged(call))
      .map((call) => `${call.id} ${failureName(call)}`),
    unlabelledErrors: failed
      .filter((call) => call.error !== undefined && deliveryOf(call.error) === undefined)
      .map((call) => `${call.id} ${failureName(call)}`),
    postsDeliveredTwice: posts
      .filter((call) => (logged.get(call.id) ?? 0) > 1 || (upstreamSeen.get(call.id) ?? 0) > 1)
      .map(
        (call) => `${call.id}: nginx ${logged.get(call.id) ?? 0}, upstream ${upstreamSeen.get(call.id) ?? 0}`,
      ),
    logged: loggedTimes,
  }
}
