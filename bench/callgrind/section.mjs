// Instructions per request under callgrind, counted between in-process marks: each variant runs in
// its own `valgrind --tool=callgrind` process; after a warm-up the worker zeroes the counters and
// dumps them every `segment` requests. A segment's count over its requests is one sample; the first
// segment is dropped (the JIT still settles there) and the median of the rest is the figure. Counts
// do not depend on what else the machine runs, which CPU time on two shared cores does.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CHILD_FLAGS } from '../lib/ipc.mjs'
import { median } from '../lib/stats.mjs'
import { prepareCallgrind } from './build.mjs'
import { CLIENT_VARIANTS, FEATURE_VARIANTS, FEATURES, PROBE_VARIANTS } from './variants.mjs'

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url))

/** Runs `command` to its end within `timeoutMs` (killed past it); resolves with its stdout. */
function run(command, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-8192)))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(stdout)
      else {
        const tail = stderr
          .split('\n')
          .filter((l) => l && !l.startsWith('=='))
          .slice(-3)
          .join(' | ')
        reject(new Error(`${args.at(-8) ?? command} exited (${signal ?? code})${tail ? `: ${tail}` : ''}`))
      }
    })
  })
}

/** The `summary:` (total Ir) of each callgrind dump file, in dump order: `<base>.1`, `<base>.2`, … */
function readDumps(dir) {
  const files = readdirSync(dir)
  const parts = files
    .map((f) => /^cg\.out\.(\d+)$/.exec(f))
    .filter(Boolean)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
  const summary = (file) => Number(/^summary: (\d+)$/m.exec(readFileSync(join(dir, file), 'utf8'))?.[1])
  return {
    segments: parts.map((n) => summary(`cg.out.${n}`)),
    final: files.includes('cg.out') ? summary('cg.out') : null,
  }
}

async function count(variant, inflight, { upstream, size, addon, node }) {
  const dir = mkdtempSync(join(tmpdir(), 'mooring-cg-'))
  try {
    const { warmup, segment, segments } = { ...size.callgrind, ...variant.counts }
    const out = await run(
      'valgrind',
      [
        '--tool=callgrind',
        `--callgrind-out-file=${join(dir, 'cg.out')}`,
        '--dump-line=no',
        node,
        ...CHILD_FLAGS,
        WORKER,
        variant.name,
        upstream.url,
        String(inflight),
        String(warmup),
        String(segment),
        String(segments),
        String(size.connections),
        ...(addon ? [addon] : []),
      ],
      size.callgrind.timeoutMs,
    )
    const result = JSON.parse(out.trim().split('\n').at(-1))
    if (result.unavailable) return { unavailable: result.unavailable }
    if (result.check) throw new Error(`${variant.name} did not exercise its feature: ${result.check}`)
    const dumps = readDumps(dir)
    if (addon) {
      // Steady segments: the second half. Under valgrind V8 keeps compiling for a few thousand
      // requests (the first segments count the optimizing compiler's threads too).
      const perReq = dumps.segments.map((ir) => ir / segment)
      if (perReq.length !== segments) throw new Error(`${dumps.segments.length} dumps, ${segments} expected`)
      const steady = perReq.slice(Math.floor(perReq.length / 2))
      return {
        irPerReq: median(steady),
        spread: (Math.max(...steady) - Math.min(...steady)) / median(steady),
        segments: perReq,
        errors: result.errors,
        firstError: result.firstError,
      }
    }
    return {
      irPerReq: dumps.final / result.requests,
      wholeProcess: true,
      segments: [],
      errors: result.errors,
      firstError: result.firstError,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs `variants` at each concurrency of `size.callgrind.inflight`; ratios to `baseline` at the same concurrency. */
async function countAll(variants, baseline, options) {
  const rows = variants.map((v) => ({ name: v.name, label: v.label, byInflight: {} }))
  const jobs = variants.flatMap((variant, i) =>
    (variant.inflight ?? options.size.callgrind.inflight).map((inflight) => ({
      variant,
      inflight,
      row: rows[i],
    })),
  )
  // Two at a time: counts do not depend on what runs beside them, and valgrind runs one thread.
  const next = async () => {
    for (let job = jobs.shift(); job !== undefined; job = jobs.shift()) {
      const { variant, inflight, row } = job
      const started = performance.now()
      try {
        row.byInflight[inflight] = await count(variant, inflight, options)
      } catch (err) {
        row.byInflight[inflight] = { failed: err instanceof Error ? err.message : String(err) }
      }
      const m = row.byInflight[inflight]
      options.log(
        `  callgrind ${variant.name} ×${inflight}: ${m.irPerReq ? `${Math.round(m.irPerReq)} Ir/req` : (m.unavailable ?? m.failed)} (${Math.round((performance.now() - started) / 1000)} s)`,
      )
    }
  }
  await Promise.all([next(), next()])
  const base = rows.find((r) => r.name === baseline)
  for (const row of rows) {
    for (const [inflight, m] of Object.entries(row.byInflight)) {
      const b = base?.byInflight[inflight]?.irPerReq
      if (m.irPerReq && b) m.vsBaseline = m.irPerReq / b
    }
  }
  return rows
}

/**
 * The feature variants whose option core accepts: created (and closed) here first, natively, so an
 * option no lane has added yet costs no valgrind run. The rest get `pending` set to core's error.
 */
async function accepted(variants) {
  const { createClient } = await import('@mooring/core')
  const kept = []
  for (const variant of variants) {
    try {
      await createClient({ baseUrl: 'http://127.0.0.1:9', ...variant.options }).close()
      kept.push(variant)
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]
      variant.pending = /expected a known option/.test(message) ? 'core has no such option yet' : message
    }
  }
  return kept
}

/** What each feature row configures, for results.json (the variants hold functions). */
function describeFeatures() {
  return FEATURES.map((f) => ({
    name: f.name,
    off: f.off.map((o) => o.config),
    on: f.on.map((o) => ({ config: o.config, measures: o.measures, path: o.path ?? '/json' })),
  }))
}

/**
 * `--quick`: each feature variant run natively (no valgrind, a few requests) in its own process, so
 * CI knows every configuration is accepted, reaches its upstream path and passes its check.
 */
async function smoke(variants, { upstream, size, log }) {
  const { warmup, segment, segments } = size.callgrind
  const rows = []
  const jobs = [...variants]
  const next = async () => {
    for (let variant = jobs.shift(); variant !== undefined; variant = jobs.shift()) {
      const row = { name: variant.name, label: variant.label, group: variant.group, byInflight: {} }
      rows.push(row)
      try {
        const out = await run(
          process.execPath,
          [
            ...CHILD_FLAGS,
            WORKER,
            variant.name,
            upstream.url,
            '16',
            String(warmup),
            String(segment),
            String(segments),
            String(size.connections),
          ],
          size.callgrind.timeoutMs,
        )
        const result = JSON.parse(out.trim().split('\n').at(-1))
        if (result.unavailable) row.byInflight[16] = { unavailable: result.unavailable }
        else if (result.check)
          row.byInflight[16] = { failed: `did not exercise its feature: ${result.check}` }
        else
          row.byInflight[16] = {
            smoke: true,
            requests: result.requests,
            errors: result.errors,
            firstError: result.firstError,
          }
      } catch (err) {
        row.byInflight[16] = { failed: err instanceof Error ? err.message : String(err) }
      }
    }
  }
  await Promise.all([next(), next()])
  const order = new Map(variants.map((v, i) => [v.name, i]))
  rows.sort((a, b) => order.get(a.name) - order.get(b.name))
  const ok = rows.filter((r) => r.byInflight[16].smoke && r.byInflight[16].errors === 0).length
  log(`  features, natively (--quick): ${ok} of ${rows.length} variants ran and passed their checks`)
  return rows
}

/** The feature rows: off (and the client with nothing configured) and on, each against that client. */
async function countFeatures(want, options) {
  const variants = await accepted(want(FEATURE_VARIANTS))
  const pending = FEATURE_VARIANTS.filter((v) => v.pending).map((v) => ({
    name: v.name,
    label: v.label,
    group: v.group,
    why: v.pending,
  }))
  const rows =
    options.size.callgrind.features === 'smoke'
      ? await smoke(variants, options)
      : await countAll(variants, 'features-none', options)
  // The baseline is the mean of the not-configured client's counts, each in its own process: one
  // process's count of the same configuration moves by a percent or two from another's (V8's
  // heap layout and JIT decisions differ), more than the 0.5% a feature off may cost.
  const baseCounts = rows
    .filter((r) => r.name.startsWith('features-none'))
    .map((r) => r.byInflight[16]?.irPerReq)
    .filter(Number.isFinite)
  const base = baseCounts.length > 0 ? baseCounts.reduce((a, b) => a + b, 0) / baseCounts.length : undefined
  for (const row of rows) {
    const variant = FEATURE_VARIANTS.find((v) => v.name === row.name)
    row.group = variant.group
    row.feature = variant.feature
    row.measures = variant.measures
    const m = row.byInflight[16]
    if (m?.irPerReq && base) {
      m.overBaseline = m.irPerReq - base
      m.vsBaseline = m.irPerReq / base
    }
  }
  return {
    baseline:
      baseCounts.length > 0
        ? {
            irPerReq: base,
            counts: baseCounts,
            spread: (Math.max(...baseCounts) - Math.min(...baseCounts)) / base,
          }
        : null,
    features: rows.filter((r) => r.group !== 'on'),
    featuresOn: rows.filter((r) => r.group === 'on'),
    pending: pending.filter((p) => p.group !== 'on'),
    pendingOn: pending.filter((p) => p.group === 'on'),
  }
}

/**
 * @param {{ upstream: { url: string }, size: object, quick: boolean, log: (line: string) => void, only?: string[] | null }} options
 */
export async function runCallgrindSection({ upstream, size, log, only = null }) {
  const want = (list) =>
    list.filter(
      (v) =>
        only === null ||
        only.includes(v.name) ||
        v.name === 'undici-dispatch' ||
        v.name.startsWith('features-none'),
    )
  const prepared = prepareCallgrind()
  if (!prepared.valgrind) {
    log(`  callgrind: skipped, ${prepared.why}`)
    // The smoke run of the features needs no valgrind.
    const smoked =
      size.callgrind.features === 'smoke' ? await countFeatures(want, { upstream, size, log }) : null
    return { skipped: prepared.why, ...smoked, featureOptions: describeFeatures() }
  }
  if (prepared.addon === null) log(`  callgrind: ${prepared.why}; whole-process counts instead`)
  const options = { upstream, size, addon: prepared.addon, node: process.execPath, log }
  const clientList = want(CLIENT_VARIANTS).filter((v) => size.callgrind.clients.includes(v.name))
  const clients = await countAll(clientList, 'undici-dispatch', options)
  // Probes are differences from the floor counted above.
  const probes = size.callgrind.probes ? await countAll(want(PROBE_VARIANTS), null, options) : []
  const floor = clients.find((r) => r.name === 'undici-dispatch')
  for (const row of probes) {
    for (const [inflight, m] of Object.entries(row.byInflight)) {
      const b = floor?.byInflight[inflight]?.irPerReq
      if (m.irPerReq && b) {
        m.vsBaseline = m.irPerReq / b
        m.overFloor = m.irPerReq - b
      }
    }
  }
  const features = size.callgrind.features
    ? await countFeatures(want, options)
    : { features: [], featuresOn: [], pending: [], pendingOn: [] }
  return {
    method: prepared.addon
      ? `in-process marks: counters zeroed after ${size.callgrind.warmup} requests, dumped every ${size.callgrind.segment}, median of segments ${Math.floor(size.callgrind.segments / 2) + 1}–${size.callgrind.segments}`
      : `whole-process counts (${prepared.why}): start-up and warm-up included, so only rough`,
    marks: prepared.addon !== null,
    clients,
    probes,
    ...features,
    featureOptions: describeFeatures(),
  }
}
