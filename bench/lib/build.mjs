// The benchmarks import the built packages: build any whose dist is missing or older than its sources.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const PACKAGES = ['core', 'express', 'fastify', 'hono', 'nest']

function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const mtime = statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs
    if (mtime > newest) newest = mtime
  }
  return newest
}

/** Whether `packages/<pkg>/dist` is missing or older than anything in `src` (or core's, which it bundles against). */
export function isStale(pkg) {
  const dist = `${ROOT}packages/${pkg}/dist/index.js`
  if (!existsSync(dist)) return true
  const built = statSync(dist).mtimeMs
  return (
    newestMtime(`${ROOT}packages/${pkg}/src`) > built ||
    statSync(`${ROOT}packages/${pkg}/package.json`).mtimeMs > built
  )
}

/**
 * Builds the stale packages, core first. A package that fails to build but has a dist from before
 * is used as it is, and said so; core with no dist ends the run; a plugin with none is left out.
 * @returns {{ stale: Record<string, string>, missing: Record<string, string> }} what was not built, with why
 */
export function ensureBuilt(log) {
  const stale = {}
  const missing = {}
  for (const pkg of PACKAGES) {
    if (!isStale(pkg)) continue
    log(`building @mooring/${pkg} (dist missing or older than src)`)
    const result = spawnSync('pnpm', ['--filter', `@mooring/${pkg}`, 'build'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 300_000,
    })
    if (result.status === 0) continue
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`
    const why =
      output
        .split('\n')
        .find((line) => /error/i.test(line))
        ?.trim() ??
      result.error?.message ??
      `exit ${result.status}`
    const message = `@mooring/${pkg} does not build: ${why}`
    if (existsSync(`${ROOT}packages/${pkg}/dist/index.js`)) {
      log(`  ${message}; using the dist built before`)
      stale[pkg] = message
    } else if (pkg === 'core') {
      throw new Error(message)
    } else {
      log(`  ${message}; left out`)
      missing[pkg] = message
    }
  }
  return { stale, missing }
}
