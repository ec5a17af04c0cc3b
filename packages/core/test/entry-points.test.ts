import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as core from '../src/index.js'
import * as testing from '../src/testing.js'

const srcDir = fileURLToPath(new URL('../src/', import.meta.url))
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
  exports: Record<string, unknown>
}

/** Every module specifier the file imports at load time (static imports and re-exports, not `import()`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)]
    .filter((m) => !/^(?:import|export)\s+type\s/.test(m[0]))
    .map((m) => m[1] as string)
}

/** The files and packages reachable from `entry` through static imports. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const pending = [entry]
  while (pending.length > 0) {
    const file = pending.pop() as string
    if (files.has(file)) continue
    files.add(file)
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
      else packages.add(specifier)
    }
  }
  return { files, packages }
}

describe('entry points', () => {
  it('the main entry loads no test tooling: no light-my-request, no test transport', () => {
    const { files, packages } = importGraph(resolve(srcDir, 'index.ts'))
    const thirdParty = [...packages].filter((name) => !name.startsWith('node:')).sort()
    expect(thirdParty).toEqual(Object.keys(pkg.dependencies).sort())
    expect(packages.has('light-my-request')).toBe(false)
    expect([...files].filter((f) => f.includes('/transports/'))).toEqual([])
    expect(Object.keys(core)).not.toContain('mockTransport')
    expect(Object.keys(core)).not.toContain('appTransport')
  })

  it('@mooring/core/testing holds the test transports and loads light-my-request only on demand', () => {
    expect(typeof testing.mockTransport).toBe('function')
    expect(typeof testing.appTransport).toBe('function')
    expect(typeof testing.InProcessTransport).toBe('function')
    const { packages } = importGraph(resolve(srcDir, 'testing.ts'))
    expect(packages.has('light-my-request')).toBe(false)
    expect(pkg.exports).toHaveProperty('./testing')
  })

  it('light-my-request is an optional peer dependency, not a dependency', () => {
    expect(pkg.dependencies).not.toHaveProperty('light-my-request')
    expect(pkg.peerDependencies).toHaveProperty('light-my-request')
    expect(pkg.peerDependenciesMeta['light-my-request']?.optional).toBe(true)
  })
})
