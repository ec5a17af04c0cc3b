// Command-line options and the size of a run. `--quick` keeps every code path and shrinks the counts.

export const SECTIONS = ['instructions', 'clients', 'frameworks', 'memory', 'retry', 'features']

/** Full: what RESULTS.md is made of. Quick: CI's smoke run, well under a minute. */
const SIZES = {
  full: {
    /** In-flight requests at once, and connections per pool, for every client. */
    concurrency: 16,
    connections: 16,
    rounds: 7,
    roundMs: 1_500,
    maxRequestsPerRun: 60_000,
    /** A new pool per call opens a connection per call: capped so TIME_WAIT sockets stay few. */
    maxIsolatedPerRun: 1_000,
    warmupRequests: 2_000,
    frameworkRounds: 5,
    /** wrk takes whole seconds. */
    frameworkSeconds: 2,
    frameworkWarmupSeconds: 1,
    /** The framework apps on Node 24 too (npx -y node@24), beside this Node. */
    node24: true,
    scopes: 100_000,
    /** Under callgrind (the instructions section): see callgrind/section.mjs. */
    callgrind: {
      warmup: 3_000,
      segment: 1_000,
      /** The second half is steady: 5 samples, so one segment with a mark-compact in it is not the median. */
      segments: 10,
      inflight: [1, 16],
      clients: ['undici-dispatch', 'undici-request', 'mooring-app', 'mooring-scope', 'fetch', 'axios', 'got'],
      features: true,
      probes: true,
      timeoutMs: 15 * 60_000,
    },
  },
  quick: {
    concurrency: 16,
    connections: 16,
    rounds: 2,
    roundMs: 200,
    maxRequestsPerRun: 5_000,
    maxIsolatedPerRun: 100,
    warmupRequests: 200,
    frameworkRounds: 1,
    frameworkSeconds: 1,
    frameworkWarmupSeconds: 0,
    node24: false,
    scopes: 5_000,
    callgrind: {
      warmup: 50,
      segment: 50,
      segments: 2,
      inflight: [16],
      clients: ['mooring-app'],
      /** Each feature variant natively, a few requests: its configuration, upstream path and check. */
      features: 'smoke',
      probes: false,
      timeoutMs: 3 * 60_000,
    },
  },
}

export function parseArgs(argv) {
  const options = { quick: false, sections: SECTIONS, only: null, profile: false }
  for (const arg of argv) {
    if (arg === '--') continue
    if (arg === '--quick') options.quick = true
    else if (arg === '--profile') options.profile = true
    else if (arg.startsWith('--sections=')) {
      options.sections = arg.slice('--sections='.length).split(',')
      const unknown = options.sections.filter((s) => !SECTIONS.includes(s))
      if (unknown.length > 0) throw new Error(`unknown section ${unknown[0]} (one of ${SECTIONS.join(', ')})`)
    } else if (arg.startsWith('--only=')) options.only = arg.slice('--only='.length).split(',')
    else if (arg === '--help' || arg === '-h') options.help = true
    else throw new Error(`unknown option ${arg} (try --help)`)
  }
  options.size = SIZES[options.quick ? 'quick' : 'full']
  return options
}

export const USAGE = `pnpm bench [--quick] [--sections=${SECTIONS.join(',')}] [--only=<client,...>] [--profile]

  --quick      CI's smoke run: every code path, few requests; writes bench/results/quick/
  --sections   run only these sections (writes bench/results/partial/)
  --only       client section: only these clients and the two baselines (names as in results.json)
  --profile    client section under node --cpu-prof; prints the hottest functions
`
