import { Agent, request as httpRequest } from 'node:http'
import type { Socket } from 'node:net'
import v8 from 'node:v8'
import vm from 'node:vm'
import {
  type RegistrationOptions,
  type RegistrationStats,
  ConnectionError,
  type MooringClient,
  MooringError,
} from '@mooring/core'
import { expect } from 'vitest'
import { sleep, startUpstream, type Upstream, waitFor } from '../../support/upstream.js'
import { countHandles, noMoreHandlesThan } from './handles.js'

/**
 * The pieces of a soak, shared by the framework packages: an upstream that injects faults, a load
 * generator with bounded concurrency that hangs up on some requests, and the measures taken before
 * and after (heap after GC, live handles).
 */

/** mulberry32: a small seeded PRNG, so a failing soak can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface FaultRates {
  /** TCP reset on arrival (a fresh or a reused connection). */
  reset: number
  /** A reused keep-alive connection closed on arrival, before answering: the stale-connection race. */
  stale: number
  /** 503 without Retry-After. */
  unavailable: number
}

export interface FaultyUpstream {
  upstream: Upstream
  url: string
  /** Faults injected, by kind. */
  injected: Record<keyof FaultRates, number>
  /** Requests answered 200. */
  answered: number
  /** How many times each `x-request-id` of a non-idempotent POST (`/once`) arrived. */
  onceDeliveries: Map<string, number>
  close(): Promise<void>
}

/**
 * An upstream (node:http, keep-alive) that answers `GET /item/:n`, `POST /order`, `POST /once` and
 * `GET /slow` (30 ms late), and injects faults at the given rates into the first `faultyAttempts`
 * attempts of each call (told apart by `x-request-id`, method and path), so a client that retries
 * as documented always gets through in the end.
 */
export async function startFaultyUpstream(
  seed: number,
  rates: FaultRates,
  faultyAttempts = 2,
): Promise<FaultyUpstream> {
  const random = seededRandom(seed)
  const attempts = new Map<string, number>()
  const served = new WeakMap<Socket, number>()
  const state: FaultyUpstream = {
    upstream: undefined as unknown as Upstream,
    url: '',
    injected: { reset: 0, stale: 0, unavailable: 0 },
    answered: 0,
    onceDeliveries: new Map(),
    close: () => state.upstream.close(),
  }
  state.upstream = await startUpstream((req, res) => {
    // The soak's own bookkeeping must not grow with the run: the support upstream records requests.
    state.upstream.requests.length = 0
    const id = String(req.headers['x-request-id'])
    const key = `${id} ${req.method} ${req.url}`
    const attempt = (attempts.get(key) ?? 0) + 1
    attempts.set(key, attempt)
    const onSocket = (served.get(req.socket) ?? 0) + 1
    served.set(req.socket, onSocket)
    if (req.url === '/once') state.onceDeliveries.set(id, (state.onceDeliveries.get(id) ?? 0) + 1)
    if (attempt <= faultyAttempts) {
      const r = random()
      if (r < rates.reset) {
        state.injected.reset++
        req.socket.resetAndDestroy()
        return
      }
      if (r < rates.reset + rates.stale && onSocket > 1) {
        state.injected.stale++
        req.socket.destroy()
        return
      }
      if (r < rates.reset + rates.stale + rates.unavailable) {
        state.injected.unavailable++
        req.resume()
        res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable')
        return
      }
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const answer = (): void => {
        attempts.delete(key)
        state.answered++
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ id, attempt, path: req.url, body: Buffer.concat(chunks).toString() }))
      }
      if (req.url === '/slow') {
        const timer = setTimeout(answer, 30)
        res.once('close', () => {
          clearTimeout(timer)
          attempts.delete(key)
        })
      } else answer()
    })
  })
  state.url = state.upstream.url
  return state
}

export type Route = 'item' | 'order' | 'once' | 'slow'

export interface SoakRequest {
  route: Route
  /** Hang up after this many ms (a downstream client going away mid-request). */
  hangUpAfter?: number
}

export interface SoakResult {
  route: Route
  /** The downstream status, or `'hung-up'` for a request the load generator abandoned. */
  status: number | 'hung-up' | 'failed'
  body: string
}

/** What the soak asks for, request `i` of a run: mostly idempotent calls, some not, some abandoned. */
export function planFor(random: () => number): (i: number) => SoakRequest {
  return () => {
    const r = random()
    if (r < 0.6) return { route: 'item' }
    if (r < 0.8) return { route: 'order' }
    if (r < 0.9) return { route: 'once' }
    // A third of the slow calls are abandoned by their client while the app waits on the upstream.
    return random() < 0.33 ? { route: 'slow', hangUpAfter: 5 + Math.floor(random() * 15) } : { route: 'slow' }
  }
}

/** Sends one soak request to the app over `agent` (keep-alive); never rejects. */
export function send(base: string, agent: Agent, id: string, request: SoakRequest): Promise<SoakResult> {
  const { route } = request
  const method = route === 'order' || route === 'once' ? 'POST' : 'GET'
  const path = route === 'item' ? `/item/${id}` : `/${route}`
  return new Promise((resolve) => {
    const req = httpRequest(
      `${base}${path}`,
      {
        method,
        agent,
        headers: { 'x-request-id': id, 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({ route, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        )
        res.on('error', () => resolve({ route, status: 'failed', body: '' }))
      },
    )
    let hungUp = false
    req.on('error', () => resolve({ route, status: hungUp ? 'hung-up' : 'failed', body: '' }))
    if (request.hangUpAfter !== undefined) {
      const timer = setTimeout(() => {
        hungUp = true
        req.destroy()
      }, request.hangUpAfter)
      req.once('close', () => clearTimeout(timer))
    }
    req.end(method === 'POST' ? JSON.stringify({ id }) : undefined)
  })
}

/**
 * Runs `count` requests, `concurrency` at a time, and stops starting new ones at `deadline`
 * (performance.now() time). `onResult` sees each as it settles.
 */
export async function drive(
  count: number,
  concurrency: number,
  deadline: number,
  task: (i: number) => Promise<SoakResult>,
  onResult: (i: number, result: SoakResult) => void,
): Promise<number> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count && performance.now() < deadline) {
      const i = next++
      onResult(i, await task(i))
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return next
}

let collect: (() => void) | undefined

/** Heap used after a full GC (V8's --expose-gc, turned on for this process at first use). */
export async function heapAfterGc(): Promise<number> {
  if (collect === undefined) {
    v8.setFlagsFromString('--expose-gc')
    collect = vm.runInNewContext('gc') as () => void
  }
  for (let i = 0; i < 3; i++) {
    collect()
    await sleep(10)
  }
  return process.memoryUsage().heapUsed
}

export const MiB = 1024 * 1024

/** What a route answers: the upstream's JSON, its status for `/once`, or 502 with the typed error's fields. */
export interface RouteAnswer {
  status: number
  body: unknown
}

/**
 * The work of the soak's four routes, the same in every framework: `GET /item/:id`, `POST /order`
 * (with an Idempotency-Key, so retried), `POST /once` (no key: never retried) and `GET /slow`.
 */
export async function answerRoute(
  client: MooringClient,
  route: Route,
  id: string,
  body: unknown,
): Promise<RouteAnswer> {
  try {
    switch (route) {
      case 'item':
        return { status: 200, body: await (await client.get(`/item/${id}`)).json() }
      case 'order':
        return {
          status: 200,
          body: await (await client.post('/order', { json: body, idempotencyKey: 'auto' })).json(),
        }
      case 'once': {
        const res = await client.post('/once', { json: body })
        return { status: res.status, body: res.status === 200 ? await res.json() : await res.text() }
      }
      default:
        return { status: 200, body: await (await client.get('/slow')).json() }
    }
  } catch (err) {
    if (!(err instanceof MooringError)) throw err
    return {
      status: 502,
      body: {
        error: err.name,
        causeCode: err instanceof ConnectionError ? err.causeCode : undefined,
        delivery: (err as { delivery?: string }).delivery,
      },
    }
  }
}

/** An app under soak, listening on 127.0.0.1, with its Mooring registration. */
export interface SoakTarget {
  base: string
  stats(): RegistrationStats
  /** Shuts the app down: server and registration. */
  close(): Promise<void>
}

export interface SoakSettings {
  seed: number
  requests: number
  /** Fewer than this by the time limit (a very slow machine) fails the soak. */
  atLeast: number
  warmUp: number
  concurrency: number
  /** New requests stop after this long, whatever the count reached. */
  timeLimitMs: number
  /** What the heap may grow by across the run, measured after GC. */
  heapGrowthLimit: number
}

export const SOAK_DEFAULTS: SoakSettings = {
  seed: Number(process.env.SOAK_SEED ?? 20_251_124),
  requests: Number(process.env.SOAK_REQUESTS ?? 100_000),
  atLeast: Math.min(Number(process.env.SOAK_REQUESTS ?? 100_000), 20_000),
  warmUp: 2_000,
  concurrency: 64,
  timeLimitMs: 60_000,
  heapGrowthLimit: 24 * MiB,
}

/** The registration every soaked app makes (the framework adds `scope: 'request'`, its default). */
export function soakRegistrationOptions(upstreamUrl: string): RegistrationOptions {
  return {
    baseUrl: upstreamUrl,
    propagate: ['x-request-id'],
    limits: { connections: 32 },
    retry: { backoff: { base: 2, max: 10 } },
    timeout: { total: 10_000 },
  }
}

/**
 * Runs the soak against the app `start` makes (given the upstream's registration options), checks
 * what every soak must hold, and returns the figures it printed.
 */
export async function soak(
  name: string,
  start: (options: RegistrationOptions) => Promise<SoakTarget>,
  settings: SoakSettings = SOAK_DEFAULTS,
): Promise<Record<string, unknown>> {
  const handlesBefore = countHandles()
  const faulty = await startFaultyUpstream(settings.seed, { reset: 0.02, stale: 0.02, unavailable: 0.03 })
  const app = await start(soakRegistrationOptions(faulty.url))
  const agent = new Agent({ keepAlive: true, maxSockets: settings.concurrency })

  const plan = planFor(seededRandom(settings.seed + 1))
  const tally = {
    ok: 0,
    onceFailed: 0,
    hungUp: 0,
    idempotentFailures: [] as SoakResult[],
    unexpected: [] as SoakResult[],
  }
  const onResult = (i: number, result: SoakResult): void => {
    if (result.status === 'hung-up') tally.hungUp++
    else if (result.status === 200) {
      if ((JSON.parse(result.body) as { id: string }).id === String(i)) tally.ok++
      else tally.unexpected.push(result)
    } else if (result.route === 'once') tally.onceFailed++
    else if (result.route === 'slow' && result.status === 'failed') tally.unexpected.push(result)
    else tally.idempotentFailures.push(result)
  }
  const task = (i: number): Promise<SoakResult> => send(app.base, agent, String(i), plan(i))

  const started = performance.now()
  const deadline = started + settings.timeLimitMs
  let issued = await drive(settings.warmUp, settings.concurrency, deadline, task, onResult)
  const heapBefore = await heapAfterGc()
  issued += await drive(
    settings.requests - settings.warmUp,
    settings.concurrency,
    deadline,
    (i) => task(i + settings.warmUp),
    (i, result) => onResult(i + settings.warmUp, result),
  )
  const elapsed = performance.now() - started
  // drive() awaited every request; the calls the app made for them have settled too.
  await waitFor(() => app.stats().inFlight === 0, 'the app to have no call in flight', 5_000)
  const stats = app.stats()
  const origin = stats.origins[faulty.url]

  agent.destroy()
  await app.close()
  await faulty.upstream.waitForOpen(0, 5_000)
  const heapAfter = await heapAfterGc()
  await faulty.close()
  // No socket, server or timer of the run is left: the app's, the client's or the upstream's.
  await waitFor(() => noMoreHandlesThan(handlesBefore), 'no more live handles than before the run', 5_000)

  const figures = {
    seed: settings.seed,
    requests: issued,
    seconds: Number((elapsed / 1000).toFixed(1)),
    perSecond: Math.round(issued / (elapsed / 1000)),
    ok: tally.ok,
    onceFailed: tally.onceFailed,
    hungUp: tally.hungUp,
    injected: faulty.injected,
    retries: origin.retries,
    budgetRefusals: origin.budgetRefusals,
    upstreamCalls: { done: origin.done, failed: origin.failed },
    scopes: { opened: stats.scopesOpened, closed: stats.scopesClosed },
    heapMiB: { before: Number((heapBefore / MiB).toFixed(1)), after: Number((heapAfter / MiB).toFixed(1)) },
  }
  console.log(`${name} soak: ${JSON.stringify(figures)}`)

  expect(issued).toBeGreaterThanOrEqual(settings.atLeast)
  // Every idempotent call (GET, and POST with an Idempotency-Key) succeeded through the faults.
  expect(tally.idempotentFailures).toEqual([])
  expect(tally.unexpected).toEqual([])
  expect(tally.ok + tally.onceFailed + tally.hungUp).toBe(issued)
  // The faults happened, and were ridden out by replays and retries.
  expect(faulty.injected.reset).toBeGreaterThan(0)
  expect(faulty.injected.stale).toBeGreaterThan(0)
  expect(faulty.injected.unavailable).toBeGreaterThan(0)
  expect(origin.retries['stale-connection']).toBeGreaterThan(0)
  expect(origin.retries['status:503']).toBeGreaterThan(0)
  expect(tally.hungUp).toBeGreaterThan(0)
  // A call without a key was never sent twice.
  expect(Math.max(...faulty.onceDeliveries.values())).toBe(1)
  // One scope per request that reached the app, every one closed.
  expect(stats.scopesOpened).toBe(stats.scopesClosed)
  expect(stats.scopesOpened).toBeGreaterThanOrEqual(issued - tally.hungUp)
  expect(heapAfter - heapBefore).toBeLessThan(settings.heapGrowthLimit)
  return figures
}
