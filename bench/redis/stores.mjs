// `node bench/redis/stores.mjs [--calls N]` after `pnpm build`: the added latency and CPU per call
// of the rate limit (`take`) and the side-effect guard (`once`, a new key each call: claim + record)
// in memory and in Redis. Uses REDIS_URL, or starts a redis-server of its own on a free port of
// 127.0.0.1 (Debian's package). CPU is this process's (user + system), not Redis's.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { memoryStore, redisStore } from '../../packages/redis/dist/index.js'

const argCalls = process.argv.indexOf('--calls')
const CALLS = argCalls > 0 ? Number(process.argv[argCalls + 1]) : 5000

async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function ownRedis() {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'mooring-bench-redis-'))
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  )
  await sleep(300)
  return {
    url: `redis://127.0.0.1:${port}`,
    stop() {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Runs `fn` CALLS times one after the other; µs of wall time and of CPU per call. */
async function measure(fn) {
  for (let i = 0; i < 200; i++) await fn(-i - 1) // warm-up
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (let i = 0; i < CALLS; i++) await fn(i)
  const wall = performance.now() - started
  const used = process.cpuUsage(cpu)
  return { latencyUs: (wall * 1000) / CALLS, cpuUs: (used.user + used.system) / CALLS }
}

const redis = process.env.REDIS_URL ? { url: process.env.REDIS_URL, stop() {} } : await ownRedis()
const rule = { rps: 1e9, burst: 1e9 } // never refuses: measures the cost of asking
const rows = []
let run = 0
for (const [name, store] of [
  ['memory', memoryStore()],
  ['redis', redisStore({ url: redis.url, prefix: `bench${Date.now()}:` })],
]) {
  const take = await measure(() => store.rateLimit.take('https://api.example.com', rule))
  const prefix = `k${++run}:`
  const once = await measure((i) => store.once(`${prefix}${i}`, undefined, () => i))
  rows.push({
    store: name,
    'take µs': take.latencyUs,
    'take CPU µs': take.cpuUs,
    'once µs': once.latencyUs,
    'once CPU µs': once.cpuUs,
  })
  await store.close()
}
redis.stop()
const fmt = (n) => n.toFixed(n < 10 ? 2 : 0)
console.log(
  `${CALLS} sequential calls each, Node ${process.version}, ${redis.url.includes('127.0.0.1') ? 'redis-server on 127.0.0.1' : 'REDIS_URL'}`,
)
console.log('| store | take latency | take CPU | once latency | once CPU |')
console.log('| --- | --- | --- | --- | --- |')
for (const r of rows) {
  console.log(
    `| ${r.store} | ${fmt(r['take µs'])} µs | ${fmt(r['take CPU µs'])} µs | ${fmt(r['once µs'])} µs | ${fmt(r['once CPU µs'])} µs |`,
  )
}
