import { Agent } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ConnectionError, MooringError } from '@mooring/core'
import { mooring } from '@mooring/fastify'
import Fastify, { type FastifyReply } from 'fastify'
import { expect, it } from 'vitest'
import { countHandles, noMoreHandlesThan } from '../../core/test/reliability/support/handles.js'
import {
  drive,
  heapAfterGc,
  MiB,
  planFor,
  seededRandom,
  send,
  type SoakResult,
  startFaultyUpstream,
} from '../../core/test/reliability/support/soak.js'
import { waitFor } from '../../core/test/support/upstream.js'

const SEED = Number(process.env.SOAK_SEED ?? 20_251_124)
const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 100_000)
/** Fewer than this by the time limit (a very slow machine) fails the soak. */
const AT_LEAST = Math.min(REQUESTS, 20_000)
const WARM_UP = 2_000
const CONCURRENCY = 64
/** New requests stop after this long, whatever the count reached. */
const TIME_LIMIT_MS = 60_000
/** What the heap may grow by across the run, measured after GC. */
const HEAP_GROWTH_LIMIT = 24 * MiB

/** The route's answer when its upstream call failed: the typed error's fields. */
function failed(reply: FastifyReply, err: unknown): unknown {
  if (!(err instanceof MooringError)) throw err
  reply.code(502)
  return {
    error: err.name,
    causeCode: err instanceof ConnectionError ? err.causeCode : undefined,
    delivery: (err as { delivery?: string }).delivery,
  }
}

it('Fastify, request scopes: tens of thousands of requests through a faulty upstream, nothing lost or left behind', {
  timeout: 120_000,
}, async () => {
  const handlesBefore = countHandles()
  const faulty = await startFaultyUpstream(SEED, { reset: 0.02, stale: 0.02, unavailable: 0.03 })
  const app = Fastify()
  await app.register(mooring, {
    baseUrl: faulty.url,
    propagate: ['x-request-id'],
    limits: { connections: 32 },
    retry: { backoff: { base: 2, max: 10 } },
    timeout: { total: 10_000 },
  })
  app.get('/item/:n', async (request, reply) => {
    try {
      return await (await request.http.get(`/item/${(request.params as { n: string }).n}`)).json()
    } catch (err) {
      return failed(reply, err)
    }
  })
  app.post('/order', async (request, reply) => {
    try {
      return await (await request.http.post('/order', { json: request.body, idempotencyKey: 'auto' })).json()
    } catch (err) {
      return failed(reply, err)
    }
  })
  // Not idempotent and no key: a fault may fail it (status or error), but it is never sent twice.
  app.post('/once', async (request, reply) => {
    try {
      const res = await request.http.post('/once', { json: request.body })
      reply.code(res.status)
      return await res.text()
    } catch (err) {
      return failed(reply, err)
    }
  })
  app.get('/slow', async (request, reply) => {
    try {
      return await (await request.http.get('/slow')).json()
    } catch (err) {
      return failed(reply, err)
    }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const binding = app.mooring.binding('http')

  const plan = planFor(seededRandom(SEED + 1))
  const tally = {
    ok: 0,
    idempotentFailures: [] as SoakResult[],
    onceFailed: 0,
    hungUp: 0,
    unexpected: [] as SoakResult[],
  }
  const onResult = (i: number, result: SoakResult): void => {
    if (result.status === 'hung-up') tally.hungUp++
    else if (result.status === 200) {
      const body = JSON.parse(result.body) as { id: string }
      if (body.id !== String(i)) tally.unexpected.push(result)
      else tally.ok++
    } else if (result.route === 'once') tally.onceFailed++
    else if (result.route === 'slow' && result.status === 'failed') tally.unexpected.push(result)
    else tally.idempotentFailures.push(result)
  }
  const task = (i: number) => send(base, agent, String(i), plan(i))

  const started = performance.now()
  const deadline = started + TIME_LIMIT_MS
  const warmed = await drive(WARM_UP, CONCURRENCY, deadline, task, onResult)
  const heapBefore = await heapAfterGc()
  let issued = warmed
  const rest = await drive(
    REQUESTS - WARM_UP,
    CONCURRENCY,
    deadline,
    (i) => task(i + WARM_UP),
    (i, r) => onResult(i + WARM_UP, r),
  )
  issued += rest
  const elapsed = performance.now() - started
  // Every request made has settled by now (drive awaits each); the app's calls have too.
  await waitFor(() => binding.stats().inFlight === 0, 'the app to have no call in flight', 5_000)
  const stats = binding.stats()
  const origin = stats.origins[faulty.url]

  agent.destroy()
  await app.close()
  await faulty.upstream.waitForOpen(0, 5_000)
  const heapAfter = await heapAfterGc()
  await faulty.close()
  for (const h of (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles())
    console.log(
      'H',
      (h as object).constructor?.name,
      (h as { address?: () => unknown }).address?.(),
      (h as { listening?: boolean }).listening,
      (h as { _connections?: number })._connections,
      typeof (h as { listenerCount?: unknown }).listenerCount === 'function'
        ? (h as { eventNames(): unknown[] }).eventNames()
        : '',
    )
  // No socket, server or timer of the run is left: the app's, the client's or the upstream's.
  await waitFor(() => noMoreHandlesThan(handlesBefore), 'no more live handles than before the run', 5_000)

  const figures = {
    seed: SEED,
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
    heapMiB: {
      before: Number((heapBefore / MiB).toFixed(1)),
      after: Number((heapAfter / MiB).toFixed(1)),
    },
    handles: countHandles(),
  }
  console.log(`fastify soak: ${JSON.stringify(figures)}`)

  expect(issued).toBeGreaterThanOrEqual(AT_LEAST)
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
  expect(heapAfter - heapBefore).toBeLessThan(HEAP_GROWTH_LIMIT)
})
