import { Agent, request as httpRequest } from 'node:http'
import type { Socket } from 'node:net'
import v8 from 'node:v8'
import vm from 'node:vm'
import { sleep, startUpstream, type Upstream } from '../../support/upstream.js'

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
