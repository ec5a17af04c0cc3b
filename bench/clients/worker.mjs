// A client benchmark process: holds one client, and runs it when the parent (section.mjs) says, which
// rotates the order and reads the upstream's counters in between. One process per client, as in a
// real app: clients sharing a process would share undici's code, and each other's types would make
// its call sites polymorphic, slowing all of them.
// Usage (forked): worker.mjs <set> <client> — commands: setup, warmup, run, close.
import { serve } from '../lib/ipc.mjs'
import { percentile } from '../lib/stats.mjs'
import { CLIENT_SETS } from './adapters.mjs'

const adapter = CLIENT_SETS[process.argv[2]]?.find((c) => c.name === process.argv[3])
if (adapter === undefined) throw new Error(`unknown client ${process.argv[2]}/${process.argv[3]}`)

/** @type {import('./adapters.mjs').Running | null} */
let running = null
let latencies = new Float64Array(0)

/**
 * Keeps `concurrency` calls in flight until `maxRequests` were started or `durationMs` passed, and
 * measures the whole run: wall time, this process's CPU time (every thread: GC, libuv) and each
 * call's latency.
 */
async function drive(call, { concurrency, durationMs, maxRequests }) {
  if (latencies.length < maxRequests) latencies = new Float64Array(maxRequests)
  const samples = latencies
  let started = 0
  let done = 0
  let errors = 0
  let firstError = null
  const deadline = performance.now() + durationMs
  async function loop() {
    while (started < maxRequests && performance.now() < deadline) {
      started++
      const t0 = performance.now()
      try {
        await call()
        samples[done++] = performance.now() - t0
      } catch (err) {
        errors++
        firstError ??= err instanceof Error ? err.message : String(err)
      }
    }
  }
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(Array.from({ length: concurrency }, loop))
  const elapsedMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return {
    requests: done,
    errors,
    firstError,
    elapsedMs,
    cpuUs: cpu.user + cpu.system,
    p50: percentile(samples, done, 50),
    p99: percentile(samples, done, 99),
  }
}

function settle() {
  // Garbage from the previous run is collected here, not charged to the next client.
  globalThis.gc?.()
  return new Promise((resolve) => setImmediate(resolve))
}

serve({
  /** Creates the client and checks one response; `{ unavailable }` if the client cannot be created. */
  async setup({ url, connections }) {
    try {
      running = await adapter.create({ url, connections })
    } catch (err) {
      // Reported as a slot, not a failure: e.g. an option core does not accept yet.
      return { unavailable: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }
    }
    const sample = await running.call()
    if (sample?.id !== 42) throw new Error(`${adapter.name} read ${JSON.stringify(sample)}`)
    return {}
  },
  async warmup({ concurrency, requests }) {
    await settle()
    return drive(running.call, { concurrency, durationMs: 60_000, maxRequests: requests })
  },
  async run({ concurrency, durationMs, maxRequests }) {
    await settle()
    return drive(running.call, { concurrency, durationMs, maxRequests })
  },
  async close() {
    await running?.close()
    running = null
  },
})
