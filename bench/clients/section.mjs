// Runs a client set in rounds of rotating order against the upstream, and reduces the rounds to
// medians: of each client's own numbers, and of its per-round ratios to the baselines (the same
// round's numbers, so a slow patch of a shared machine moves both sides of a ratio alike).
import { startChild } from '../lib/ipc.mjs'
import { median, rotate } from '../lib/stats.mjs'
import { CLIENT_SETS } from './adapters.mjs'

const WORKER = new URL('./worker.mjs', import.meta.url)

/**
 * @param {{ set: 'clients' | 'retry' | 'features', upstream: Awaited<ReturnType<typeof import('../lib/upstream.mjs').startUpstream>>,
 *   size: object, only?: string[] | null, baselines: string[], profileDir?: string, log: (line: string) => void }} options
 */
export async function runClientSection({ set, upstream, size, only, baselines, profileDir, log }) {
  const execArgv = (name) =>
    profileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`]
  const wanted = (c) => only == null || only.includes(c.name) || baselines.includes(c.name)
  const clients = []
  const unavailable = []
  try {
    for (const adapter of CLIENT_SETS[set].filter(wanted)) {
      const worker = await startChild(WORKER, {
        args: [set, adapter.name],
        execArgv: execArgv(adapter.name),
        name: `${adapter.name} worker`,
      })
      const client = { name: adapter.name, label: adapter.label, isolated: adapter.isolated === true, worker }
      const { unavailable: why } = await worker.call('setup', {
        url: upstream.url,
        connections: size.connections,
      })
      if (why === undefined) clients.push(client)
      else {
        unavailable.push({ name: client.name, label: client.label, unavailable: why })
        await worker.close()
      }
    }
    const limitFor = (c) => (c.isolated ? size.maxIsolatedPerRun : size.maxRequestsPerRun)
    const warmupConnections = {}
    for (const c of clients) {
      const before = await upstream.stats()
      await c.worker.call('warmup', {
        concurrency: size.concurrency,
        requests: Math.min(size.warmupRequests, limitFor(c)),
      })
      warmupConnections[c.name] = (await upstream.stats()).connections - before.connections
    }
    /** rounds[r][name] = one run's measurements */
    const rounds = []
    for (let r = 0; r < size.rounds; r++) {
      const round = {}
      for (const c of rotate(clients, r)) {
        const before = await upstream.stats()
        const m = await c.worker.call('run', {
          concurrency: size.concurrency,
          durationMs: size.roundMs,
          maxRequests: limitFor(c),
        })
        const after = await upstream.stats()
        round[c.name] = { ...m, connections: after.connections - before.connections }
      }
      rounds.push(round)
      log(`  ${set} round ${r + 1}/${size.rounds} done`)
    }
    return {
      unavailable,
      rows: clients.map((c) => summarize(c, rounds, baselines, warmupConnections[c.name])),
      rounds,
    }
  } finally {
    await Promise.all(clients.map((c) => c.worker.close()))
  }
}

function summarize(client, rounds, baselines, warmupConnections) {
  const runs = rounds.map((round) => round[client.name])
  const rps = (m) => (m.requests * 1000) / m.elapsedMs
  const cpuPerReq = (m) => m.cpuUs / m.requests
  const ratios = {}
  for (const base of baselines) {
    const present = rounds.filter((round) => round[base] !== undefined)
    ratios[base] = {
      rps: median(present.map((round) => rps(round[client.name]) / rps(round[base]))),
      cpu: median(present.map((round) => cpuPerReq(round[client.name]) / cpuPerReq(round[base]))),
    }
  }
  const requests = runs.reduce((n, m) => n + m.requests, 0)
  const measuredConnections = runs.reduce((n, m) => n + m.connections, 0)
  return {
    name: client.name,
    label: client.label,
    rps: median(runs.map(rps)),
    cpuUsPerReq: median(runs.map(cpuPerReq)),
    p50: median(runs.map((m) => m.p50)),
    p99: median(runs.map((m) => m.p99)),
    requests,
    errors: runs.reduce((n, m) => n + m.errors, 0),
    firstError: runs.find((m) => m.firstError !== null)?.firstError ?? null,
    /** Opened by the upstream for this client over the whole run, warm-up included. */
    connections: warmupConnections + measuredConnections,
    /** In the measured rounds, per 1000 requests. */
    connectionsPer1k: (measuredConnections * 1000) / Math.max(1, requests),
    ratios,
  }
}
