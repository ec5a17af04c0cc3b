// What observability costs per request: each mode in a fresh process, modes interleaved over rounds
// so drift on a shared machine hits them alike; the median of the rounds is reported.
//   off      nothing observes: no context captured, no event built
//   capture  a hooks object with no hook: every call captures its async context (an AsyncResource)
//   otel-api instrumentMooring() with @opentelemetry/api and no SDK: no-op instruments, context captured
//   otel-sdk instrumentMooring() with the metrics SDK and a reader: every instrument records
// node bench/observe/observe-cost.mjs [--requests=20000] [--rounds=5]
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { startUpstream } from '../lib/upstream.mjs'

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')))
const requests = Number(args.requests ?? 20_000)
const rounds = Number(args.rounds ?? 5)
const MODES = ['off', 'capture', 'otel-api', 'otel-sdk']
const run = promisify(execFile)

const upstream = await startUpstream()
const samples = Object.fromEntries(MODES.map((m) => [m, []]))
try {
  for (let round = 0; round < rounds; round++) {
    for (const mode of round % 2 === 0 ? MODES : [...MODES].reverse()) {
      const { stdout } = await run(
        process.execPath,
        [new URL('./worker.mjs', import.meta.url).pathname, mode, upstream.url, String(requests)],
        { timeout: 300_000 },
      )
      samples[mode].push(JSON.parse(stdout))
    }
  }
} finally {
  await upstream.close()
}
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
const off = median(samples.off.map((s) => s.cpuUs))
console.log(
  `${requests} requests × ${rounds} rounds, 16 in flight; CPU µs per request (median), and over off:`,
)
for (const mode of MODES) {
  const cpu = median(samples[mode].map((s) => s.cpuUs))
  const wall = median(samples[mode].map((s) => s.wallUs))
  const delta = mode === 'off' ? '' : ` (${cpu - off >= 0 ? '+' : ''}${(cpu - off).toFixed(2)} µs)`
  console.log(`  ${mode.padEnd(9)} cpu ${cpu.toFixed(2)} µs${delta}, wall ${wall.toFixed(2)} µs`)
}

// The capture alone, without the network's noise: what an observed call adds (one AsyncResource,
// and a re-dispatch run in it), against AsyncLocalStorage.snapshot(), in this process.
const { AsyncLocalStorage, AsyncResource } = await import('node:async_hooks')
const noop = () => {}
function nsPer(fn, n) {
  for (let i = 0; i < 10_000; i++) fn()
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn()
  return Number(process.hrtime.bigint() - start) / n
}
let kept
const resource = new AsyncResource('MooringCall')
console.log('The capture alone, ns per call:')
console.log(
  `  new AsyncResource()          ${nsPer(() => (kept = new AsyncResource('MooringCall')), 1_000_000).toFixed(0)}`,
)
console.log(
  `  runInAsyncScope(fn, this)    ${nsPer(() => resource.runInAsyncScope(noop, null), 1_000_000).toFixed(0)}`,
)
console.log(
  `  AsyncLocalStorage.snapshot() ${nsPer(() => (kept = AsyncLocalStorage.snapshot()), 20_000).toFixed(0)}`,
)
void kept
