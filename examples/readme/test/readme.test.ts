import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fencedBlocks, README, ROOT, region, syncSnippets } from '../sync.mjs'

const readme = readFileSync(README, 'utf8')
const read = (file: string) => readFileSync(ROOT + file, 'utf8')

describe('the root README', () => {
  it('shows every code sample exactly as it is in its source (run `node examples/readme/sync.mjs`)', () => {
    expect(syncSnippets(readme)).toBe(readme)
  })

  it('has no TypeScript or JavaScript sample that is not a whole, compiled, tested source file', () => {
    const code = fencedBlocks(readme).filter((block) =>
      ['ts', 'typescript', 'js', 'javascript'].includes(block.lang),
    )
    expect(code.length).toBeGreaterThanOrEqual(8)
    for (const block of code) {
      expect(block.source, `README.md line ${block.line}`).toBeDefined()
      // Copyable whole: the file itself, imports and types included, not a region of it.
      expect(block.source!.region, `README.md line ${block.line}`).toBeNull()
      expect(block.code, `README.md line ${block.line}`).toMatch(/^import /)
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

describe('the packages, as published', () => {
  const packages = ['core', 'express', 'fastify', 'hono', 'nest']
  const repository = 'https://github.com/mooring-dev/mooring'

  it.each(packages)(
    '%s ships a LICENSE and a CHANGELOG, and names its repository, homepage and bugs',
    (name) => {
      const pkg = JSON.parse(read(`packages/${name}/package.json`)) as Record<string, unknown>
      expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'README.md', 'CHANGELOG.md', 'LICENSE']))
      expect(read(`packages/${name}/LICENSE`)).toBe(read('LICENSE'))
      expect(read(`packages/${name}/CHANGELOG.md`)).toMatch(new RegExp(`^# @mooring/${name}\\n`))
      expect(pkg.repository).toEqual({
        type: 'git',
        url: `git+${repository}.git`,
        directory: `packages/${name}`,
      })
      expect(pkg.homepage).toBe(`${repository}/tree/main/packages/${name}#readme`)
      expect(pkg.bugs).toEqual({ url: `${repository}/issues` })
    },
  )

  it.each(packages)('%s README links only to absolute URLs, which work on the registry', (name) => {
    const links = [...read(`packages/${name}/README.md`).matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1])
    expect(links.filter((link) => !/^(https:\/\/|#)/.test(link))).toEqual([])
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

  it('a marker with no region takes the whole file', () => {
    const markdown = ['<!-- snippet: f.ts -->', '```ts', 'stale', '```'].join('\n')
    const synced = syncSnippets(markdown, () => "import x from 'x'\n\nx()\n")
    expect(synced).toBe(['<!-- snippet: f.ts -->', '```ts', "import x from 'x'\n\nx()", '```'].join('\n'))
    expect(fencedBlocks(synced)[0]?.source).toEqual({ file: 'f.ts', region: null })
  })
})

describe('the examples', () => {
  it('share one service file between Express, Fastify and Hono', () => {
    const express = read('examples/express/src/shows.ts')
    expect(read('examples/fastify/src/shows.ts')).toBe(express)
    expect(read('examples/hono/src/shows.ts')).toBe(express)
  })
})
