// Keeps the root README's code samples equal to the code they come from. A sample is a fenced block
// headed by `<!-- snippet: path/to/file.ts -->`, the whole file (imports and types: what a reader
// copies runs as it is), or by `<!-- snippet: path/to/file.ts#name -->`, the lines between
// `// #region name` and `// #endregion name` in that file (a compiled, tested example).
//   node examples/readme/sync.mjs           rewrite the samples from their sources
//   node examples/readme/sync.mjs --check   exit 1 if any sample differs from its source
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const README = `${ROOT}README.md`
const MARKER = /^<!-- snippet: ([^\s#]+)(?:#(\S+))? -->$/
const FENCE = /^```(\S*)$/

/** The lines between `// #region name` and `// #endregion name` in `source`, dedented. */
export function region(source, name, file = 'the source') {
  const lines = source.split('\n')
  const at = (tag) => lines.flatMap((line, i) => (line.trim() === `// #${tag} ${name}` ? [i] : []))
  const [starts, ends] = [at('region'), at('endregion')]
  if (starts.length !== 1 || ends.length !== 1 || ends[0] < starts[0]) {
    throw new Error(`${file}: expected one region '${name}' (// #region ${name} … // #endregion ${name})`)
  }
  const body = lines.slice(starts[0] + 1, ends[0])
  const indent = Math.min(
    ...body.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)[0].length),
  )
  if (body.length === 0 || !Number.isFinite(indent)) throw new Error(`${file}: region '${name}' is empty`)
  return body.map((line) => line.slice(indent)).join('\n')
}

/** Every fenced block of `markdown`: its language, its first line (1-based) and its snippet source, if any. */
export function fencedBlocks(markdown) {
  const lines = markdown.split('\n')
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i])
    if (open === null) continue
    const end = lines.findIndex((line, j) => j > i && line === '```')
    if (end < 0) throw new Error(`line ${i + 1}: a code block that never closes`)
    const marker = i > 0 ? MARKER.exec(lines[i - 1]) : null
    blocks.push({
      lang: open[1],
      line: i + 1,
      code: lines.slice(i + 1, end).join('\n'),
      source: marker === null ? undefined : { file: marker[1], region: marker[2] ?? null },
    })
    i = end
  }
  return blocks
}

/** `markdown` with every snippet block's content replaced by its region, read with `read(file)`. */
export function syncSnippets(markdown, read = (file) => readFileSync(ROOT + file, 'utf8')) {
  const lines = markdown.split('\n')
  const out = []
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i])
    const marker = MARKER.exec(lines[i])
    if (marker === null) continue
    if (!FENCE.test(lines[i + 1] ?? ''))
      throw new Error(`line ${i + 1}: a snippet marker must head a code block`)
    const end = lines.findIndex((line, j) => j > i + 1 && line === '```')
    const source = read(marker[1])
    const code = marker[2] === undefined ? source.trimEnd() : region(source, marker[2], marker[1])
    out.push(lines[i + 1], code, '```')
    i = end
  }
  return out.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const current = readFileSync(README, 'utf8')
  const synced = syncSnippets(current)
  if (process.argv.includes('--check')) {
    if (synced !== current) {
      console.error('README.md: code samples differ from their sources; run `node examples/readme/sync.mjs`')
      process.exitCode = 1
    }
  } else if (synced !== current) {
    writeFileSync(README, synced)
    console.log('README.md: code samples rewritten from their sources')
  }
}
