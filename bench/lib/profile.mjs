// `--profile`: the client section runs under `node --cpu-prof`; this reads the .cpuprofile files and
// prints where the self time went, by function and by where the code lives.
import { readdirSync, readFileSync } from 'node:fs'

function place(url) {
  if (url === '') return 'native / V8'
  if (url.startsWith('node:')) return 'node internals'
  if (url.includes('/packages/core/')) return '@mooring/core'
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/)
  if (pkg) return pkg[1]
  if (url.includes('/bench/')) return 'bench harness'
  return url
}

/** Prints the top functions by self time, and self time by package, for each profile in `dir`. */
export function summarizeProfiles(dir, log, top = 30) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'))
    const byId = new Map(profile.nodes.map((n) => [n.id, n]))
    const selfUs = new Map()
    // timeDeltas[i] is the time before samples[i]: charged to that sample's node.
    profile.samples.forEach((id, i) => {
      selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
    })
    let total = 0
    const byFunction = new Map()
    const byPlace = new Map()
    for (const [id, us] of selfUs) {
      const { functionName, url, lineNumber } = byId.get(id).callFrame
      if (functionName === '(idle)' || functionName === '(program)') continue
      total += us
      const where = place(url)
      const key = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`
      byFunction.set(key, (byFunction.get(key) ?? 0) + us)
      byPlace.set(where, (byPlace.get(where) ?? 0) + us)
    }
    const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)}%`
    log(`\n${dir}/${file}: self time by package (of the busy time)`)
    for (const [where, us] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 15))
      log(`${pct(us)}  ${where}`)
    log(`\ntop ${top} functions by self time`)
    for (const [key, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
      log(`${pct(us)}  ${key}`)
  }
}
