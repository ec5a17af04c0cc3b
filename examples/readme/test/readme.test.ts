import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fencedBlocks, README, ROOT, region, syncSnippets } from '../sync.mjs'

const readme = readFileSync(README, 'utf8')
const read = (file: string) => readFileSync(ROOT + file, 'utf8')

describe('the root README', () => {
  it('shows every code sample exactly as it is in its source (run `node examples/readme/sync.mjs`)', () => {
    expect(syncSnippets(readme)).toBe(readme)
  })

  it('has no TypeScript or JavaScript sample that is not taken from a compiled, tested source', () => {
    const code = fencedBlocks(readme).filter((block) =>
      ['ts', 'typescript', 'js', 'javascript'].includes(block.lang),
    )
    expect(code.length).toBeGreaterThan(10)
    for (const block of code) {
      expect(block.source, `README.md line ${block.line}`).toBeDefined()
      expect(block.source!.file, `README.md line ${block.line}`).toMatch(
        /^examples\/[\w-]+\/(src|test)\/[\w.-]+\.ts$/,
      )
      expect(block.code.trim(), `README.md line ${block.line}`).not.toBe('')
    }
  })

  it('opens with the two commands a newcomer runs, and they name scripts that exist', () => {
    const [first] = fencedBlocks(readme)
    expect(first.lang).toBe('sh')
    const commands = first.code.split('\n').map((line) => line.replace(/#.*$/, '').trim())
    const { scripts, packageManager } = JSON.parse(read('package.json')) as {
      scripts: Record<string, string>
      packageManager: string
    }
    // The pnpm the repository names: any other would first switch itself to that one.
    expect(commands).toEqual([`npm install -g ${packageManager} && pnpm install && pnpm demo`, 'pnpm test'])
    expect(packageManager).toMatch(/^pnpm@10\.\d+\.\d+$/)
    expect(scripts.test).toBe('vitest run')
    // The demo runs the built examples, so it builds the packages, then every example app, first.
    const apps = ['express', 'fastify', 'hono', 'nest'].map((framework) => `examples/${framework}`)
    expect(scripts.demo).toBe(`pnpm build && tsc -b ${apps.join(' ')} && node examples/demo/demo.mjs`)
  })
})

describe('snippet regions', () => {
  it('are cut between their markers and dedented', () => {
    const source = ['a', '  // #region x', '    one', '      two', '  // #endregion x', 'b'].join('\n')
    expect(region(source, 'x')).toBe('one\n  two')
    expect(() => region(source, 'y', 'f.ts')).toThrow("f.ts: expected one region 'y'")
    expect(() => region(`${source}\n// #region x\n// #endregion x`, 'x')).toThrow(/one region/)
  })

  it('are written into the block under their marker, and nowhere else', () => {
    const markdown = [
      'intro',
      '<!-- snippet: f.ts#x -->',
      '```ts',
      'stale',
      '```',
      '```ts',
      'free',
      '```',
    ].join('\n')
    const synced = syncSnippets(markdown, () => '// #region x\nfresh()\n// #endregion x')
    expect(synced).toBe(
      ['intro', '<!-- snippet: f.ts#x -->', '```ts', 'fresh()', '```', '```ts', 'free', '```'].join('\n'),
    )
    expect(fencedBlocks(synced).map((b) => b.source?.region)).toEqual(['x', undefined])
  })
})

describe('the examples', () => {
  it('share one service file between Express, Fastify and Hono', () => {
    const express = read('examples/express/src/shows.ts')
    expect(read('examples/fastify/src/shows.ts')).toBe(express)
    expect(read('examples/hono/src/shows.ts')).toBe(express)
  })
})
