// The targets of issue 6, checked against a run's results. Reported, never enforced: a missed
// target is a finding, not a failed run.

const TARGET_CPU_VS_REQUEST = 1.0
const TARGET_CPU_VS_FLOOR = 1.15
const TARGET_PLUGIN_VS_HAND = 0.95
const TARGET_HEAP_PER_100K = 5 * 2 ** 20

/** @returns {Array<{ target: string, measured: string, met: boolean | null }>} */
export function checkTargets(results, { times, mib }) {
  const out = []
  const clients = results.clients?.rows ?? []
  for (const name of ['mooring-app', 'mooring-scope']) {
    const row = clients.find((r) => r.name === name)
    if (row === undefined) continue
    const vsRequest = row.ratios['undici-request']?.cpu
    const vsFloor = row.ratios['undici-dispatch']?.cpu
    out.push({
      target: `${row.label}: CPU/request ≤ ${TARGET_CPU_VS_REQUEST.toFixed(2)}× undici Pool.request`,
      measured: times(vsRequest),
      met: Number.isFinite(vsRequest) ? vsRequest <= TARGET_CPU_VS_REQUEST : null,
    })
    out.push({
      target: `${row.label}: CPU/request ≤ ${TARGET_CPU_VS_FLOOR.toFixed(2)}× the dispatch floor`,
      measured: times(vsFloor),
      met: Number.isFinite(vsFloor) ? vsFloor <= TARGET_CPU_VS_FLOOR : null,
    })
  }
  for (const framework of results.frameworks ?? []) {
    if (framework.rows === undefined) {
      out.push({
        target: `${framework.label} plugin routes ≥ ${TARGET_PLUGIN_VS_HAND}× the handwritten route`,
        measured: `not measured: ${framework.unavailable}`,
        met: null,
      })
      continue
    }
    for (const row of framework.rows.filter((r) => r.name !== 'hand')) {
      out.push({
        target: `${framework.label}, ${row.label}: req/s ≥ ${TARGET_PLUGIN_VS_HAND}× the handwritten route`,
        measured: times(row.rpsVsHand),
        met: Number.isFinite(row.rpsVsHand) ? row.rpsVsHand >= TARGET_PLUGIN_VS_HAND : null,
      })
    }
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
