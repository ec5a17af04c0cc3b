// Where two clients' instructions differ, function by function: `node bench/callgrind/attribute.mjs
// <variant> [baseline] [--inflight=16]` (default baseline: the floor, undici-dispatch). Each runs under
// callgrind with in-process marks, as the instructions section does, and under V8's
// `--perf-basic-prof`, which writes every JIT-compiled function's address range to
// /tmp/perf-<pid>.map: callgrind names node's own functions and builtins but sees JIT code only as
// addresses, and the map turns those into JS function names. The segment with the fewest
// instructions of each run is taken (the others may hold a mark-compact), and the difference is
// printed per function: which code a client runs that the other does not, in instructions per request.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CHILD_FLAGS } from '../lib/ipc.mjs'
import { startUpstream } from '../lib/upstream.mjs'
import { prepareCallgrind } from './build.mjs'

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url))
const args = process.argv.slice(2)
const flags = Object.fromEntries(args.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')))
const [variant, baseline = 'undici-dispatch'] = args.filter((a) => !a.startsWith('--'))
const inflight = flags.inflight ?? '16'
const top = Number(flags.top ?? 40)
const SEGMENT = 2_000

if (variant === undefined) {
  console.error('usage: node bench/callgrind/attribute.mjs <variant> [baseline] [--inflight=16] [--top=40]')
  process.exit(2)
}

/** Runs one variant; resolves with instructions per request by function, for its lightest segment. */
function profile(name, upstream, addon) {
  const dir = mkdtempSync(join(tmpdir(), 'mooring-attr-'))
  return new Promise((resolve, reject) => {
    const child = spawn(
      'valgrind',
      [
        '--tool=callgrind',
        `--callgrind-out-file=${join(dir, 'cg.out')}`,
        '--dump-line=no',
        '--compress-strings=no',
        '--compress-pos=no',
        process.execPath,
        '--perf-basic-prof',
        ...CHILD_FLAGS,
        WORKER,
        name,
        upstream,
        inflight,
        '3000',
        String(SEGMENT),
        '4',
        '16',
        addon,
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    )
    child.on('error', reject)
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`${name}: valgrind exited ${code}`)
        const dumps = readdirSync(dir).filter((f) => /^cg\.out\.\d+$/.test(f))
        const summary = (f) => Number(/^summary: (\d+)$/m.exec(readFileSync(join(dir, f), 'utf8'))[1])
        // The first segment still holds the JIT's warm-up; of the rest, the lightest.
        const steady = dumps.filter((f) => f !== 'cg.out.1').sort((a, b) => summary(a) - summary(b))[0]
        const map = readPerfMap(`/tmp/perf-${child.pid}.map`)
        resolve(selfByFunction(readFileSync(join(dir, steady), 'utf8'), map))
      } catch (err) {
        reject(err)
      } finally {
        rmSync(dir, { recursive: true, force: true })
        rmSync(`/tmp/perf-${child.pid}.map`, { force: true })
      }
    })
  })
}

/** V8's perf map (`start size name` per line): an address is named by the entry starting nearest below it. */
function readPerfMap(file) {
  const entries = []
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [start, size, ...name] = line.split(' ')
    if (name.length > 0)
      entries.push({
        start: Number.parseInt(start, 16),
        size: Number.parseInt(size, 16),
        name: name.join(' '),
      })
  }
  entries.sort((a, b) => a.start - b.start)
  return (address) => {
    let lo = 0
    let hi = entries.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (entries[mid].start <= address) lo = mid + 1
      else hi = mid - 1
    }
    const e = entries[hi]
    return e !== undefined && address < e.start + e.size ? e.name : null
  }
}

/** Self instructions per function of one callgrind dump (a cost line after `calls=` is a callee's). */
function selfByFunction(text, nameAt) {
  const self = new Map()
  let object = ''
  let fn = ''
  let calleeCost = false
  for (const line of text.split('\n')) {
    if (line.startsWith('ob=')) object = line.slice(3).split('/').at(-1)
    else if (line.startsWith('fn=')) {
      fn = line.slice(3)
      calleeCost = false
    } else if (line.startsWith('calls=')) calleeCost = true
    else {
      const m = /^(?:[+-]?\d+|\*|0x[0-9a-f]+) (\d+)$/.exec(line)
      if (m === null) continue
      if (calleeCost) {
        calleeCost = false
        continue
      }
      const address = /^0x([0-9a-f]+)/.exec(fn)
      const jit = address === null ? null : nameAt(Number.parseInt(address[1], 16))
      // Code neither callgrind nor the perf map names (undici's llhttp, WebAssembly) is one entry,
      // so the two processes' copies at different addresses cancel out.
      const unnamed = jit === null && address !== null && object === '???'
      const name = (unnamed ? '??? (code no map names: WebAssembly)' : (jit ?? `${object}:${fn}`))
        .replace(/\s\S*node_modules\/\.pnpm\/[^/]+\/node_modules\//, ' ')
        .replace(/file:\/\/\S*?\/(packages|bench)\//, '$1/')
        .replace(/'\d+$/, '')
      self.set(name, (self.get(name) ?? 0) + Number(m[1]) / SEGMENT)
    }
  }
  return self
}

const prepared = prepareCallgrind()
if (!prepared.valgrind || prepared.addon === null) {
  console.error(`attribute: ${prepared.why}`)
  process.exit(1)
}
const upstream = await startUpstream()
try {
  const [a, b] = await Promise.all([
    profile(baseline, upstream.url, prepared.addon),
    profile(variant, upstream.url, prepared.addon),
  ])
  const total = (m) => [...m.values()].reduce((s, v) => s + v, 0)
  console.log(
    `${baseline}: ${(total(a) / 1000).toFixed(1)}k, ${variant}: ${(total(b) / 1000).toFixed(1)}k instructions/request (${inflight} in flight)`,
  )
  const names = new Set([...a.keys(), ...b.keys()])
  const diff = [...names].map((n) => [n, (b.get(n) ?? 0) - (a.get(n) ?? 0), b.get(n) ?? 0])
  diff.sort((x, y) => y[1] - x[1])
  const row = ([n, d, v]) =>
    `${Math.round(d).toString().padStart(8)} ${Math.round(v).toString().padStart(8)}  ${n.slice(0, 140)}`
  console.log(`\nmore in ${variant} (difference, its count, function)`)
  for (const r of diff.slice(0, top)) console.log(row(r))
  console.log(`\nless in ${variant}`)
  for (const r of diff.slice(-Math.ceil(top / 4)).reverse()) console.log(row(r))
} finally {
  await upstream.close()
}
