// The external tools some sections use, found once: valgrind (instructions), wrk and taskset
// (frameworks), and a Node 24 to run the framework apps on beside this Node. A missing one is
// reported and its part skipped; it never fails the run.
import { execFileSync } from 'node:child_process'

export function has(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * A Node 24 binary: `MOORING_BENCH_NODE24`, or the one `npx -y node@24` installs (cached by npm
 * after the first run). Null, with the reason, when neither is at hand.
 */
export function findNode24() {
  const given = process.env.MOORING_BENCH_NODE24
  const args = given
    ? [given, ['-p', 'process.execPath + " " + process.version']]
    : ['npx', ['-y', 'node@24', '-p', 'process.execPath + " " + process.version']]
  try {
    const out = execFileSync(args[0], args[1], {
      encoding: 'utf8',
      timeout: 180_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    const [path, version] = out.split('\n').at(-1).split(' ')
    if (!version?.startsWith('v24.')) return { path: null, why: `found ${version ?? out}, not Node 24` }
    return { path, version }
  } catch (err) {
    return {
      path: null,
      why: `no Node 24 (npx -y node@24 failed: ${err instanceof Error ? err.message.split('\n')[0] : err})`,
    }
  }
}
