// Builds marks.node, callgrind's client requests for the benchmark, with the C compiler and two
// headers the machine already has: Debian's valgrind (`valgrind/callgrind.h`) and Node's own
// (`node_api.h`, next to the running node). One C file and one compiler call, so no node-gyp: its
// Python toolchain and header download buy nothing here. Returns why not, rather than throwing:
// without the addon the section falls back to whole-process counts and says so.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = fileURLToPath(new URL('./', import.meta.url))
const SOURCE = join(HERE, 'marks.c')
export const ADDON = join(HERE, 'build', 'marks.node')

const has = (cmd) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** @returns {{ valgrind: boolean, addon: string | null, why?: string }} */
export function prepareCallgrind() {
  if (!has('valgrind'))
    return { valgrind: false, addon: null, why: 'valgrind is not installed (apt-get install valgrind)' }
  const includes = [
    '/usr/include',
    join(dirname(dirname(process.execPath)), 'include', 'node'),
    '/usr/include/node',
  ]
  const valgrindDir = includes.find((dir) => existsSync(join(dir, 'valgrind', 'callgrind.h')))
  const nodeDir = includes.find((dir) => existsSync(join(dir, 'node_api.h')))
  if (valgrindDir === undefined) return { valgrind: true, addon: null, why: 'valgrind/callgrind.h not found' }
  if (nodeDir === undefined) return { valgrind: true, addon: null, why: "Node's node_api.h not found" }
  if (existsSync(ADDON) && statSync(ADDON).mtimeMs >= statSync(SOURCE).mtimeMs)
    return { valgrind: true, addon: ADDON }
  const cc = ['cc', 'gcc', 'clang'].find(has)
  if (cc === undefined) return { valgrind: true, addon: null, why: 'no C compiler (cc, gcc or clang)' }
  mkdirSync(dirname(ADDON), { recursive: true })
  try {
    execFileSync(
      cc,
      [
        '-O2',
        '-shared',
        '-fPIC',
        '-DNODE_GYP_MODULE_NAME=marks',
        `-I${valgrindDir}`,
        `-I${nodeDir}`,
        '-o',
        ADDON,
        SOURCE,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
  } catch (err) {
    return {
      valgrind: true,
      addon: null,
      why: `the addon did not build: ${String(err.stderr ?? err).split('\n')[0]}`,
    }
  }
  return { valgrind: true, addon: ADDON }
}
