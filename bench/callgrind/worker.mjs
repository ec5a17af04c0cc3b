// One client under callgrind: `node worker.mjs <variant> <url> <inflight> <warmup> <segment> <segments> <connections> [addon]`.
// Keeps <inflight> calls going; after <warmup> completed requests it zeroes callgrind's counters,
// then dumps them every <segment> completed requests, <segments> times, without draining in between
// (the marks are where a request completes, so the load stays steady across them). Without the addon
// there are no marks: the parent divides the whole process's count instead. Prints one JSON line.
import { createRequire } from 'node:module'
import { VARIANTS } from './variants.mjs'

const [name, url, inflightArg, warmupArg, segmentArg, segmentsArg, connectionsArg, addon] =
  process.argv.slice(2)
const variant = VARIANTS.find((v) => v.name === name)
if (variant === undefined) throw new Error(`unknown variant ${name}`)
const inflight = Number(inflightArg)
const warmup = Number(warmupArg)
const segment = Number(segmentArg)
const total = warmup + segment * Number(segmentsArg)
const marks = addon ? createRequire(import.meta.url)(addon) : null

let running
try {
  running = await variant.create({ url, connections: Number(connectionsArg) })
} catch (err) {
  process.stdout.write(
    `${JSON.stringify({ unavailable: err instanceof Error ? err.message : String(err) })}\n`,
  )
  process.exit(0)
}
const sample = await running.call()
if (sample?.id !== 42) throw new Error(`${name} read ${JSON.stringify(sample)}`)

let started = 0
let done = 0
let errors = 0
let firstError = null
let cpuAtZero = null
let cpuAtEnd = null
async function loop() {
  while (started < total) {
    started++
    try {
      await running.call()
    } catch (err) {
      errors++
      firstError ??= err instanceof Error ? err.message : String(err)
    }
    done++
    if (done === warmup) {
      marks?.zero()
      cpuAtZero = process.cpuUsage()
    } else if (done > warmup && (done - warmup) % segment === 0) {
      marks?.dump()
      if (done === total) cpuAtEnd = process.cpuUsage(cpuAtZero)
    }
  }
}
await Promise.all(Array.from({ length: inflight }, loop))
// Past the last mark, so not counted: did the configuration exercise its feature on the calls?
const check = running.check ? await running.check(done) : null
await running.close()
process.stdout.write(
  `${JSON.stringify({
    requests: done,
    errors,
    firstError,
    check,
    marks: marks !== null,
    underValgrind: marks?.running() ?? null,
    cpuUs: cpuAtEnd ? cpuAtEnd.user + cpuAtEnd.system : null,
  })}\n`,
)
