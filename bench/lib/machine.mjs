// What the numbers were taken on: the machine, the versions, and how busy other processes kept it.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

function versionOf(dir, name) {
  const file = `${ROOT}${dir}node_modules/${name}/package.json`
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : 'not installed'
}

export function versions() {
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
    if (dirty.trim() !== '') commit += ' (packages/ with uncommitted changes)'
  } catch {}
  return {
    commit,
    mooring: JSON.parse(readFileSync(`${ROOT}packages/core/package.json`, 'utf8')).version,
    node: process.version,
    'undici (Mooring, and the undici rows)': versionOf('packages/core/', 'undici'),
    "undici (Node's, under global fetch)": process.versions.undici,
    axios: versionOf('', 'axios'),
    got: versionOf('', 'got'),
    ky: versionOf('', 'ky'),
    autocannon: versionOf('', 'autocannon'),
    express: versionOf('packages/express/', 'express'),
    fastify: versionOf('packages/fastify/', 'fastify'),
    hono: versionOf('packages/hono/', 'hono'),
    '@hono/node-server': versionOf('packages/hono/', '@hono/node-server'),
    '@nestjs/core': versionOf('packages/nest/', '@nestjs/core'),
    '@nestjs/platform-express': versionOf('packages/nest/', '@nestjs/platform-express'),
  }
}

export function machine() {
  const cpus = os.cpus()
  return {
    cpu: `${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  }
}

/**
 * CPU time, in seconds, of the whole machine (busy) and of this process with its reaped children
 * (every benchmark process is a child, reaped when its section ends). Linux only; null elsewhere.
 */
function cpuTimes(livePids) {
  try {
    const [, ...cpu] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number)
    const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu
    // Fields after the command name, which is in parentheses and may hold spaces.
    const self = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').map(Number)
    let live = 0
    for (const pid of livePids) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').map(Number)
      live += stat[11] + stat[12]
    }
    const hz = 100
    return {
      busy: (user + nice + system + irq + softirq + steal) / hz,
      total: (user + nice + system + idle + iowait + irq + softirq + steal) / hz,
      ours: (self[11] + self[12] + self[13] + self[14] + live) / hz,
    }
  } catch {
    return null
  }
}

/**
 * Starts watching how much CPU other processes take; `stop()` gives their average, in cores.
 * `livePids`: benchmark processes that outlive the watch (the upstream), so are not yet reaped.
 */
export function watchLoad(livePids = []) {
  const start = cpuTimes(livePids)
  const startLoad = os.loadavg()[0]
  const t0 = performance.now()
  return {
    stop() {
      const end = cpuTimes(livePids)
      const seconds = (performance.now() - t0) / 1000
      if (start === null || end === null || seconds <= 0)
        return { seconds, othersCores: null, ourCores: null }
      const ours = end.ours - start.ours
      const busy = end.busy - start.busy
      return {
        seconds,
        othersCores: Math.max(0, busy - ours) / seconds,
        ourCores: ours / seconds,
        loadStart: startLoad,
        loadEnd: os.loadavg()[0],
      }
    },
  }
}
