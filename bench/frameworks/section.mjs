// Framework routes under autocannon: for each framework, the handwritten route and the plugin's
// two scopes, each app in its own process, in rounds of rotating order; ratios are per round.
import { existsSync } from 'node:fs'
import autocannon from 'autocannon'
import { startChild } from '../lib/ipc.mjs'
import { median, rotate } from '../lib/stats.mjs'

export const FRAMEWORKS = [
  { name: 'express', label: 'Express', plugin: 'express' },
  { name: 'fastify', label: 'Fastify', plugin: 'fastify' },
  { name: 'hono', label: 'Hono', plugin: 'hono' },
  { name: 'nest', label: 'Nest', plugin: 'nest' },
]
export const VARIANTS = [
  { name: 'hand', label: 'by hand (undici Pool.request)' },
  { name: 'app', label: 'plugin, app scope' },
  { name: 'request', label: 'plugin, request scope' },
]

const SERVER = new URL('./server.mjs', import.meta.url)

/** One autocannon run against `port`, measured with the app process's CPU time around it. */
async function load(app, { connections, seconds }) {
  const cpu0 = await app.child.call('cpu')
  const result = await autocannon({
    url: `http://127.0.0.1:${app.child.ready.port}/proxy`,
    connections,
    duration: seconds,
    // The run stops on the first sample tick after `duration`: short ticks keep short runs short.
    sampleInt: 100,
    timeout: 10,
  })
  const cpu1 = await app.child.call('cpu')
  const ok = result['2xx']
  return {
    requests: ok,
    rps: ok / result.duration,
    cpuUsPerReq: (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / Math.max(1, ok),
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
  }
}

export async function runFrameworkSection({ upstream, size, frameworks, unbuilt = {}, log }) {
  const results = []
  for (const framework of FRAMEWORKS.filter((f) => frameworks === null || frameworks.includes(f.name))) {
    const dist = new URL(`../../packages/${framework.plugin}/dist/index.js`, import.meta.url)
    if (!existsSync(dist)) {
      results.push({
        ...framework,
        unavailable: unbuilt[framework.plugin] ?? `@mooring/${framework.plugin} is not built`,
      })
      continue
    }
    const apps = []
    try {
      for (const variant of VARIANTS) {
        const child = await startChild(SERVER, {
          args: [framework.name, variant.name, upstream.url, String(size.connections)],
          name: `${framework.name} (${variant.name})`,
        })
        apps.push({ variant, child })
      }
    } catch (err) {
      await Promise.all(apps.map((app) => app.child.close()))
      const reason = err instanceof Error ? err.message.split('\n')[0] : String(err)
      // Built, yet the app did not start: a broken plugin or harness, not a missing one.
      results.push({ ...framework, unavailable: reason, broken: true })
      log(`  ${framework.label}: left out (${reason})`)
      continue
    }
    try {
      for (const app of apps) {
        await load(app, { connections: size.concurrency, seconds: size.frameworkWarmupSeconds })
      }
      const rounds = []
      for (let r = 0; r < size.frameworkRounds; r++) {
        const round = {}
        for (const app of rotate(apps, r)) {
          const before = await upstream.stats()
          const m = await load(app, { connections: size.concurrency, seconds: size.frameworkSeconds })
          m.connections = (await upstream.stats()).connections - before.connections
          round[app.variant.name] = m
        }
        rounds.push(round)
      }
      log(`  ${framework.label}: ${size.frameworkRounds} rounds done`)
      results.push({ ...framework, rows: VARIANTS.map((v) => summarize(v, rounds)) })
    } finally {
      await Promise.all(apps.map((app) => app.child.close()))
    }
  }
  return results
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
