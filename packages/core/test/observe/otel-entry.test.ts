import diagnosticsChannel from 'node:diagnostics_channel'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const srcDir = fileURLToPath(new URL('../../src/', import.meta.url))
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
  exports: Record<string, unknown>
}

/** The packages reachable from `entry` through static, non-type imports. */
function packagesOf(entry: string): Set<string> {
  const seen = new Set<string>()
  const packages = new Set<string>()
  const pending = [entry]
  while (pending.length > 0) {
    const file = pending.pop() as string
    if (seen.has(file)) continue
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
      if (/^(?:import|export)\s+type\s/.test(m[0])) continue
      const specifier = m[1] as string
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
      else packages.add(specifier)
    }
  }
  return packages
}

describe('@mooring/core/otel', () => {
  it('is the only entry that loads @opentelemetry/api, an optional peer dependency', () => {
    const main = [...packagesOf(resolve(srcDir, 'index.ts'))]
    expect(main.filter((name) => name.startsWith('@opentelemetry/'))).toEqual([])
    const otel = [...packagesOf(resolve(srcDir, 'otel.ts'))].filter((name) => !name.startsWith('node:'))
    expect(otel.sort()).toEqual(['@opentelemetry/api', 'undici'])
    expect(pkg.dependencies).not.toHaveProperty('@opentelemetry/api')
    expect(pkg.peerDependenciesMeta['@opentelemetry/api']?.optional).toBe(true)
    expect(pkg.exports).toHaveProperty('./otel')
  })
})

describe('instrumentMooring() with no OpenTelemetry SDK registered', () => {
  it('subscribes to nothing, so calls capture no context and build no event', async () => {
    const { instrumentMooring } = await import('@mooring/core/otel')
    const names = ['mooring:request', 'mooring:response', 'mooring:retry', 'mooring:error', 'mooring:client']
    const instrumentation = instrumentMooring()
    try {
      expect([instrumentation.metrics, instrumentation.tracing]).toEqual([false, false])
      expect(names.filter((name) => diagnosticsChannel.hasSubscribers(name))).toEqual([])
    } finally {
      instrumentation.disable()
    }
  })
})
