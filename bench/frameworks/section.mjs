// Framework routes under load: for each framework, the handwritten route and the plugin's scopes,
// each app in its own process, in rounds of rotating order; ratios are per round. The load comes
// from wrk, with the app pinned to one core and wrk (and the upstream) to the other, so the app's
// CPU per request is its own; without wrk (or taskset), from autocannon in this process, unpinned,
// and the results say so. Every framework runs on this Node and, when one is at hand, on Node 24.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import autocannon from 'autocannon'
import { startChild } from '../lib/ipc.mjs'
import { median, rotate } from '../lib/stats.mjs'
import { findNode24, has } from '../lib/tools.mjs'

export const FRAMEWORKS = [
  { name: 'express', label: 'Express', plugin: 'express' },
  { name: 'fastify', label: 'Fastify', plugin: 'fastify' },
  { name: 'hono', label: 'Hono', plugin: 'hono' },
  { name: 'nest', label: 'Nest', plugin: 'nest' },
]
export const VARIANTS = [
  { name: 'hand', label: 'by hand (undici Pool.request)' },
  { name: 'app', label: 'plugin, app scope' },
  // The plugin's default: no AsyncLocalStorage in Express, Fastify and Hono (handlers read req.http),
  // the context on in Nest (its @InjectClient() is the context's client).
  { name: 'request', label: 'plugin, request scope' },
  // Request scope with the AsyncLocalStorage context on, what current() needs: its cost is this row
  // over the one above. Not in Nest, whose default row already has it.
  { name: 'request-context', label: 'plugin, request scope, context: true', except: ['nest'] },
  // Nest's request scope with no context: the handler takes the request's client as a parameter
  // (`@RequestClient()`), where `@InjectClient()` (the `request` row) needs AsyncLocalStorage.
  {
    name: 'request-param',
    label: 'plugin, request scope, @RequestClient() (context: false)',
    only: ['nest'],
  },
]

const SERVER = new URL('./server.mjs', import.meta.url)

/** The app's CPU time around `drive()`, which returns `{ requests, seconds, p50, p99, failed }`. */
async function measured(app, drive) {
  const cpu0 = await app.child.call('cpu')
  const m = await drive()
  const cpu1 = await app.child.call('cpu')
  return {
    requests: m.requests,
    rps: m.requests / m.seconds,
    cpuUsPerReq: (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / Math.max(1, m.requests),
    p50: m.p50,
    p99: m.p99,
    failed: m.failed,
  }
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000 }
const ms = (text) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text)
  return m ? Number(m[1]) * UNIT_MS[m[2]] : Number.NaN
}

/** One wrk run (one thread, pinned to core 0) against the app; its report parsed. */
function wrk(app, { connections, seconds }) {
  const url = `http://127.0.0.1:${app.child.ready.port}/proxy`
  const args = [
    '-c',
    '0',
    'wrk',
    '-t1',
    `-c${connections}`,
    `-d${Math.max(1, Math.round(seconds))}s`,
    '--latency',
    url,
  ]
  return new Promise((resolve, reject) => {
    execFile('taskset', args, { timeout: (seconds + 30) * 1000 }, (err, stdout) => {
      if (err) return reject(new Error(`wrk failed: ${err.message.split('\n')[0]}`))
      const num = (re) => Number(re.exec(stdout)?.[1] ?? Number.NaN)
      const done = /(\d+) requests in ([\d.]+)(us|ms|s)/.exec(stdout)
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout)
      resolve({
        requests: Number(done?.[1]),
        seconds: ms(`${done?.[2]}${done?.[3]}`) / 1000,
        p50: ms(/^\s+50%\s+(\S+)/m.exec(stdout)?.[1] ?? ''),
        p99: ms(/^\s+99%\s+(\S+)/m.exec(stdout)?.[1] ?? ''),
        // Read errors at the end of a run are wrk closing its connections mid-request: not failures.
        failed:
          (num(/Non-2xx or 3xx responses: (\d+)/) || 0) +
          (socketErrors ? Number(socketErrors[1]) + Number(socketErrors[4]) : 0),
      })
    })
  })
}

/** Pins every thread of `pid` to `core`. */
function pin(pid, core) {
  return new Promise((resolve, reject) =>
    execFile('taskset', ['-a', '-p', '-c', String(core), String(pid)], (err) =>
      err ? reject(err) : resolve(),
    ),
  )
}

/** One run against the app: wrk when the machine has it, else autocannon. */
function load(app, options) {
  return measured(app, () => (options.wrk ? wrk(app, options) : autocannonRun(app, options)))
}

async function autocannonRun(app, { connections, seconds }) {
  const result = await autocannon({
    url: `http://127.0.0.1:${app.child.ready.port}/proxy`,
    connections,
    duration: seconds,
    // The run stops on the first sample tick after `duration`: short ticks keep short runs short.
    sampleInt: 100,
    timeout: 10,
  })
  return {
    requests: result['2xx'],
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
  }
}

export async function runFrameworkSection({ upstream, size, frameworks, unbuilt = {}, log }) {
  const useWrk = has('wrk') && has('taskset')
  const method = useWrk
    ? 'wrk (1 thread, pinned to core 0 with the upstream), the app pinned to core 1 (taskset)'
    : `autocannon in the orchestrating process, unpinned: ${has('wrk') ? 'taskset' : 'wrk'} is not installed (apt-get install ${has('wrk') ? 'util-linux' : 'wrk'})`
  if (!useWrk) log(`  frameworks: ${method}`)
  if (useWrk) await pin(upstream.pid, 0)
  const runtimes = [{ path: process.execPath, version: process.version }]
  let node24 = null
  if (size.node24 && !process.version.startsWith('v24.')) {
    node24 = findNode24()
    if (node24.path) runtimes.push(node24)
    else log(`  frameworks: ${node24.why}; this Node only`)
  }
  const results = []
  const sized = { ...size, wrk: useWrk }
  for (const runtime of runtimes) {
    for (const framework of FRAMEWORKS.filter((f) => frameworks === null || frameworks.includes(f.name))) {
      const result = await runFramework(framework, runtime, { upstream, size: sized, unbuilt, log })
      results.push({
        ...result,
        node: runtime.version,
        label:
          runtimes.length > 1
            ? `${framework.label}, Node ${runtime.version.split('.')[0].slice(1)}`
            : framework.label,
      })
    }
  }
  results.method = method
  results.node24 = node24
  return results
}

async function runFramework(framework, runtime, { upstream, size, unbuilt, log }) {
  {
    const variants = VARIANTS.filter(
      (v) => !v.except?.includes(framework.name) && (v.only === undefined || v.only.includes(framework.name)),
    )
    const dist = new URL(`../../packages/${framework.plugin}/dist/index.js`, import.meta.url)
    if (!existsSync(dist)) {
      return {
        ...framework,
        unavailable: unbuilt[framework.plugin] ?? `@mooring/${framework.plugin} is not built`,
      }
    }
    const apps = []
    try {
      for (const variant of variants) {
        const child = await startChild(SERVER, {
          args: [framework.name, variant.name, upstream.url, String(size.connections)],
          execPath: runtime.path,
          name: `${framework.name} (${variant.name}, Node ${runtime.version})`,
        })
        apps.push({ variant, child })
        if (size.wrk) await pin(child.pid, 1)
      }
    } catch (err) {
      await Promise.all(apps.map((app) => app.child.close()))
      const reason = err instanceof Error ? err.message.split('\n')[0] : String(err)
      // Built, yet the app did not start: a broken plugin or harness, not a missing one.
      log(`  ${framework.label}: left out (${reason})`)
      return { ...framework, unavailable: reason, broken: true }
    }
    try {
      for (const app of size.frameworkWarmupSeconds > 0 ? apps : []) {
        await load(app, {
          connections: size.concurrency,
          seconds: size.frameworkWarmupSeconds,
          wrk: size.wrk,
        })
      }
      const rounds = []
      for (let r = 0; r < size.frameworkRounds; r++) {
        const round = {}
        for (const app of rotate(apps, r)) {
          const before = await upstream.stats()
          const m = await load(app, {
            connections: size.concurrency,
            seconds: size.frameworkSeconds,
            wrk: size.wrk,
          })
          m.connections = (await upstream.stats()).connections - before.connections
          round[app.variant.name] = m
        }
        rounds.push(round)
      }
      log(`  ${framework.label} (Node ${runtime.version}): ${size.frameworkRounds} rounds done`)
      return { ...framework, rows: variants.map((v) => summarize(v, rounds)) }
    } finally {
      await Promise.all(apps.map((app) => app.child.close()))
    }
  }
}

function summarize(variant, rounds) {
  const runs = rounds.map((round) => round[variant.name])
  return {
    name: variant.name,
    label: variant.label,
    rps: median(runs.map((m) => m.rps)),
    cpuUsPerReq: median(runs.map((m) => m.cpuUsPerReq)),
    p50: median(runs.map((m) => m.p50)),
    p99: median(runs.map((m) => m.p99)),
    requests: runs.reduce((n, m) => n + m.requests, 0),
    failed: runs.reduce((n, m) => n + m.failed, 0),
    connections: runs.reduce((n, m) => n + m.connections, 0),
    rpsVsHand: median(rounds.map((round) => round[variant.name].rps / round.hand.rps)),
    cpuVsHand: median(rounds.map((round) => round[variant.name].cpuUsPerReq / round.hand.cpuUsPerReq)),
  }
}
