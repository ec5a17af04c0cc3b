// The targets of issue 17 (and issue 6's memory targets), checked against a run's results. Reported,
// never enforced: a missed target is a finding, not a failed run.

const TARGET_IR_VS_FLOOR = 1.03
const TARGET_CPU_VS_FLOOR = 1.05
const TARGET_REQUEST_SCOPE_CPU = 1.03
const TARGET_APP_SCOPE_CPU = 1.01
/** A feature off adds "no measurable instructions": within callgrind's segment-to-segment noise. */
const TARGET_FEATURE_OFF = 1.005
const TARGET_HEAP_PER_100K = 5 * 2 ** 20

const finite = (v) => Number.isFinite(v)

/** @returns {Array<{ target: string, measured: string, met: boolean | null }>} */
export function checkTargets(results, { times, mib }) {
  const out = []
  const instructions = results.instructions
  for (const row of instructions?.clients ?? []) {
    if (row.name !== 'mooring-app' && row.name !== 'mooring-scope') continue
    for (const [inflight, m] of Object.entries(row.byInflight)) {
      out.push({
        target: `${row.label}, ${inflight} in flight: instructions/request ≤ ${TARGET_IR_VS_FLOOR.toFixed(2)}× the floor`,
        measured: finite(m.vsBaseline)
          ? `${times(m.vsBaseline)}${m.wholeProcess ? ' (whole-process count)' : ''}`
          : (m.unavailable ?? m.failed ?? 'n/a'),
        met: finite(m.vsBaseline) ? m.vsBaseline <= TARGET_IR_VS_FLOOR : null,
      })
    }
  }
  for (const row of (results.clients?.rows ?? []).filter(
    (r) => r.name === 'mooring-app' || r.name === 'mooring-scope',
  )) {
    const vsFloor = row.ratios['undici-dispatch']?.cpu
    out.push({
      target: `${row.label}: native CPU/request ≤ ${TARGET_CPU_VS_FLOOR.toFixed(2)}× the floor`,
      measured: times(vsFloor),
      met: finite(vsFloor) ? vsFloor <= TARGET_CPU_VS_FLOOR : null,
    })
  }
  for (const framework of results.frameworks ?? []) {
    if (framework.rows === undefined) {
      out.push({
        target: `${framework.label} plugin routes`,
        measured: `not measured: ${framework.unavailable}`,
        met: null,
      })
      continue
    }
    for (const row of framework.rows.filter((r) => r.name !== 'hand')) {
      const bound = row.name === 'app' ? TARGET_APP_SCOPE_CPU : TARGET_REQUEST_SCOPE_CPU
      out.push({
        target: `${framework.label}, ${row.label}: server CPU/request ≤ ${bound.toFixed(2)}× the handwritten route`,
        measured: times(row.cpuVsHand),
        met: finite(row.cpuVsHand) ? row.cpuVsHand <= bound : null,
      })
    }
  }
  // "No measurable instructions": within what the run can measure, the larger of 0.5% and how far
  // apart the not-configured client's own counts in two processes came out.
  const offBound = Math.max(TARGET_FEATURE_OFF, 1 + (instructions?.baseline?.spread ?? 0))
  for (const row of instructions?.features ?? []) {
    if (row.group === 'none' || row.name.startsWith('features-none')) continue
    const m = row.byInflight[16]
    out.push({
      target: `${row.label}: instructions/request ≤ ${offBound.toFixed(3)}× not configured (the noise between processes)`,
      measured: finite(m?.vsBaseline)
        ? times(m.vsBaseline)
        : (m?.failed ?? (m?.smoke ? 'not counted (--quick)' : 'n/a')),
      met: finite(m?.vsBaseline) ? m.vsBaseline <= offBound : null,
    })
  }
  for (const p of instructions?.pending ?? []) {
    out.push({
      target: `${p.label}: free when off`,
      measured: `pending: ${p.why}`,
      met: null,
    })
  }
  const memory = results.memory?.['mooring-scope']
  if (memory !== undefined) {
    const per100k = (memory.heapGrowth * 100_000) / memory.count
    out.push({
      target: 'Heap growth after GC < 5 MiB per 100k scopes',
      measured: `${mib(per100k)}${memory.count < 100_000 ? ` (scaled from ${memory.count.toLocaleString('en-US')})` : ''}`,
      met: per100k < TARGET_HEAP_PER_100K,
    })
    const left = memory.socketsAfterClose + memory.upstreamOpenAfterClose
    out.push({
      target: 'Zero sockets left once the scopes and the client are closed',
      measured: `${memory.socketsAfterClose} in the process, ${memory.upstreamOpenAfterClose} open at the upstream`,
      met: left === 0,
    })
  }
  return out
}
