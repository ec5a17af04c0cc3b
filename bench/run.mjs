// `pnpm bench [--quick]`: builds what is stale, runs every section against an upstream in its own
// process, and writes RESULTS.md with its charts. Missed targets are reported, never a failure:
// CI runs `--quick` to know the harness works, not to judge numbers taken on a shared machine.
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { runCallgrindSection } from './callgrind/section.mjs'
import { runClientSection } from './clients/section.mjs'
import { runFrameworkSection } from './frameworks/section.mjs'
import { parseArgs, SECTIONS, USAGE } from './lib/args.mjs'
import { ensureBuilt } from './lib/build.mjs'
import { machine, versions, watchLoad } from './lib/machine.mjs'
import { summarizeProfiles } from './lib/profile.mjs'
import { startUpstream } from './lib/upstream.mjs'
import { runMemorySection } from './memory/section.mjs'
import { clientsChart, frameworksChart, renderResults } from './report/markdown.mjs'
import { checkTargets } from './report/targets.mjs'
import { mib, times } from './report/format.mjs'

const BENCH = fileURLToPath(new URL('./', import.meta.url))
const log = (line) => process.stderr.write(`${line}\n`)

const options = parseArgs(process.argv.slice(2))
if (options.help) {
  process.stdout.write(USAGE)
  process.exit(0)
}
const { size, quick } = options
const started = performance.now()
// Only a full run of everything is RESULTS.md; a quick, partial or profiled one goes aside.
const partial = options.only !== null || options.profile || options.sections.length < SECTIONS.length
const official = !quick && !partial
const outDir = official ? `${BENCH}results/` : `${BENCH}results/${quick ? 'quick' : 'partial'}/`
const resultsFile = official ? `${BENCH}RESULTS.md` : `${outDir}RESULTS.md`
const chartPrefix = official ? 'results/' : ''
const profileDir = options.profile ? `${BENCH}results/profiles/${Date.now()}` : undefined
mkdirSync(outDir, { recursive: true })

const build = ensureBuilt(log)
const load = {}
const results = {}
const upstream = await startUpstream()
log(`upstream ${upstream.url} (pid ${upstream.pid})`)
try {
  const sections = {
    instructions: () => runCallgrindSection({ upstream, size, log, only: options.only }),
    clients: () =>
      runClientSection({
        set: 'clients',
        upstream,
        size,
        only: options.only,
        baselines: ['undici-request', 'undici-dispatch'],
        profileDir,
        log,
      }),
    frameworks: () => runFrameworkSection({ upstream, size, frameworks: null, unbuilt: build.missing, log }),
    memory: () => runMemorySection({ upstream, size, log }),
    retry: () =>
      runClientSection({ set: 'retry', upstream, size, only: null, baselines: ['mooring-retry-off'], log }),
    features: () =>
      runClientSection({ set: 'features', upstream, size, only: null, baselines: ['mooring-plain'], log }),
  }
  for (const name of options.sections) {
    if (options.profile && name !== 'clients') continue
    log(`${name}…`)
    const watch = watchLoad([upstream.pid])
    results[name] = await sections[name]()
    load[name] = watch.stop()
  }
} finally {
  await upstream.close()
}

const run = {
  quick,
  size,
  results,
  load,
  machine: machine(),
  versions: versions(),
  date: new Date().toISOString(),
  durationS: (performance.now() - started) / 1000,
  // The framework section's load generator, and the Node 24 it found (or why not).
  frameworkMethod: results.frameworks?.method,
  node24: results.frameworks?.node24,
  readmePath: official ? 'README.md' : '../../README.md',
  charts: { clients: `${chartPrefix}clients.svg`, frameworks: `${chartPrefix}frameworks.svg` },
}
if (Object.keys(build.stale).length > 0) {
  run.versions.commit += `; built from older sources: ${Object.values(build.stale).join('; ')}`
}
if (results.clients) writeFileSync(`${outDir}clients.svg`, clientsChart(results.clients))
if (results.frameworks) writeFileSync(`${outDir}frameworks.svg`, frameworksChart(results.frameworks))
writeFileSync(`${outDir}results.json`, `${JSON.stringify(run, null, 2)}\n`)
writeFileSync(resultsFile, renderResults(run))

for (const t of checkTargets(results, { times, mib })) {
  log(`${t.met === null ? '–' : t.met ? 'met ' : 'MISS'}  ${t.target}: ${t.measured}`)
}
if (profileDir !== undefined) summarizeProfiles(profileDir, log)
log(`wrote ${resultsFile} in ${Math.round(run.durationS)} s`)

// Targets are findings; these are failures of the code under test or of the harness, quick or not.
const problems = [
  ...[
    ...(results.instructions?.clients ?? []),
    ...(results.instructions?.features ?? []),
    ...(results.instructions?.featuresOn ?? []),
  ]
    .flatMap((r) => Object.entries(r.byInflight).map(([n, m]) => ({ r, n, m })))
    .filter(({ m }) => m.errors > 0 || m.failed !== undefined)
    .map(
      ({ r, n, m }) =>
        `instructions, ${r.label} ×${n}: ${m.failed ?? `${m.errors} failed requests (${m.firstError})`}`,
    ),
  ...[...(results.clients?.rows ?? []), ...(results.retry?.rows ?? [])]
    .filter((r) => r.errors > 0)
    .map((r) => `${r.label}: ${r.errors} failed requests (${r.firstError})`),
  ...(results.frameworks ?? []).filter((f) => f.broken).map((f) => `${f.label}: ${f.unavailable}`),
  ...(results.frameworks ?? [])
    .flatMap((f) => (f.rows ?? []).map((r) => ({ f, r })))
    .filter(({ r }) => r.failed > 0)
    .map(({ f, r }) => `${f.label}, ${r.label}: ${r.failed} failed requests`),
  ...Object.entries(results.memory ?? {})
    .filter(([, m]) => m.errors > 0)
    .map(([mode, m]) => `memory (${mode}): ${m.errors} failed requests`),
]
if (problems.length > 0) {
  log(`\n${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join('\n')}`)
  process.exitCode = 1
}
