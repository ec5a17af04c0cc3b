// One "instance" of an app, forked by the multi-process tests. Reads its task from argv[2] (JSON),
// reports to the parent with process.send, and exits when done (or is killed by the test).
import { memoryStore, redisStore, type SharedStore } from '@mooring/redis'
import { createClient, RateLimitedError } from '@mooring/core'
import { request } from 'undici'

export type WorkerTask =
  | { kind: 'rate'; url: string; prefix: string; upstream: string; rps: number; seconds: number }
  | { kind: 'client-rate'; url: string; prefix: string; upstream: string; rps: number; seconds: number }
  | {
      kind: 'once'
      url: string
      prefix: string
      upstream: string
      calls: number
      keys: number
      failMode: 'open' | 'closed'
    }
  | { kind: 'hold'; url: string; prefix: string; upstream: string; key: string; lockTtl: number }

export type WorkerReport =
  | { kind: 'ready' }
  | { kind: 'rate-done'; attempts: number; admitted: number; paused: number }
  | { kind: 'client-rate-done'; attempts: number; sent: number; limited: number; other: string[] }
  | { kind: 'once-done'; results: Array<{ key: string; value: unknown; error?: string }> }
  | { kind: 'holding' }

const task = JSON.parse(process.argv[2] ?? '{}') as WorkerTask
const send = (report: WorkerReport) => process.send?.(report)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function main() {
  const store: SharedStore =
    task.url === 'memory'
      ? memoryStore()
      : redisStore({ url: task.url, prefix: task.prefix, commandTimeout: 300 })
  try {
    if (task.kind === 'rate') await rate(store, task)
    else if (task.kind === 'client-rate') await clientRate(store, task)
    else if (task.kind === 'once') await onceCalls(store, task)
    else await hold(store, task)
  } finally {
    await store.close()
  }
}

/** Tries 3 × rps calls a second for `seconds`; a refused try is dropped; a 429 pauses the origin for all. */
async function rate(store: SharedStore, t: Extract<WorkerTask, { kind: 'rate' }>) {
  // A burst of 3 absorbs timer jitter of the tries; over any second it adds at most 2 calls.
  const rule = { rps: t.rps, burst: 3 }
  const every = 1000 / (3 * t.rps)
  const end = Date.now() + t.seconds * 1000
  let attempts = 0
  let admitted = 0
  let paused = 0
  const inFlight: Promise<void>[] = []
  send({ kind: 'ready' })
  for (let next = Date.now(); next < end; next += every) {
    const wait = next - Date.now()
    if (wait > 0) await sleep(wait)
    attempts++
    const decision = await store.rateLimit.take(t.upstream, rule)
    if (!decision.ok) continue
    admitted++
    inFlight.push(
      request(`${t.upstream}/call?pid=${process.pid}`).then(async (response) => {
        await response.body.dump()
        if (response.statusCode === 429) {
          paused++
          await store.rateLimit.pause(t.upstream, Number(response.headers['retry-after']) * 1000)
        }
      }),
    )
  }
  await Promise.all(inFlight)
  send({ kind: 'rate-done', attempts, admitted, paused })
}

/**
 * The same through @mooring/core's own option: `rateLimit: { rps, store }`. A call waits for its
 * turn within its deadline (1 s) or fails at once with RateLimitedError; a 429 pauses the origin
 * in the store by itself.
 */
async function clientRate(store: SharedStore, t: Extract<WorkerTask, { kind: 'client-rate' }>) {
  const client = createClient({
    baseUrl: t.upstream,
    retry: false,
    timeout: { total: 1_000 },
    rateLimit: { rps: t.rps, burst: 3, store: store.rateLimit },
  })
  const every = 1000 / (3 * t.rps)
  const end = Date.now() + t.seconds * 1000
  let attempts = 0
  let sent = 0
  let limited = 0
  const other: string[] = []
  const calls: Promise<void>[] = []
  send({ kind: 'ready' })
  for (let next = Date.now(); next < end; next += every) {
    const wait = next - Date.now()
    if (wait > 0) await sleep(wait)
    attempts++
    calls.push(
      client.get(`/call?pid=${process.pid}`).then(
        async (response) => {
          sent++
          await response.text()
        },
        (error: unknown) => {
          if (error instanceof RateLimitedError) limited++
          else other.push((error as Error).name)
        },
      ),
    )
  }
  await Promise.all(calls)
  await client.close()
  send({ kind: 'client-rate-done', attempts, sent, limited, other })
}

/** `calls` concurrent once() calls over `keys` keys; each side effect is a POST to the upstream. */
async function onceCalls(store: SharedStore, t: Extract<WorkerTask, { kind: 'once' }>) {
  const results = await Promise.all(
    Array.from({ length: t.calls }, async (_, i) => {
      const key = `effect:${i % t.keys}`
      try {
        const value = await store.once(
          key,
          { failMode: t.failMode, lockTtl: 5_000, wait: 10_000 },
          async ({ guarded }) => {
            const response = await request(`${t.upstream}/effect?key=${key}`, { method: 'POST' })
            return { by: process.pid, upstream: await response.body.text(), guarded }
          },
        )
        return { key, value }
      } catch (error) {
        return { key, value: null, error: (error as Error).name }
      }
    }),
  )
  send({ kind: 'once-done', results })
}

/** Takes the guard and starts the side effect, then waits to be killed: an instance that crashes mid-call. */
async function hold(store: SharedStore, t: Extract<WorkerTask, { kind: 'hold' }>) {
  await store.once(t.key, { lockTtl: t.lockTtl }, async ({ key }) => {
    await request(`${t.upstream}/charge`, { method: 'POST', headers: { 'idempotency-key': key } }).then((r) =>
      r.body.dump(),
    )
    send({ kind: 'holding' })
    await sleep(60_000)
  })
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
