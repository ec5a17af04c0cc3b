import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, spawnAnswering } from './redis-server.js'

export interface Sentinel {
  readonly port: number
  stop(): Promise<void>
}

/**
 * A Redis Sentinel (`redis-server <conf> --sentinel`) on a free port of 127.0.0.1 watching the
 * primary at `primaryPort` under `name`, alone (quorum 1). Sentinel rewrites its config file as it
 * learns replicas and fails over, so the file lives in a directory of its own.
 */
export async function startSentinel(
  name: string,
  primaryPort: number,
  downAfterMs: number,
): Promise<Sentinel> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'mooring-sentinel-'))
  const conf = join(dir, 'sentinel.conf')
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 1`,
      `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
      `sentinel failover-timeout ${name} 2000`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'),
  )
  let child: ChildProcess
  try {
    child = await spawnAnswering([conf, '--sentinel'], port)
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return {
    port,
    async stop() {
      const running = child
      if (running.exitCode === null && running.signalCode === null) {
        const exited = new Promise((resolve) => running.once('exit', resolve))
        running.kill('SIGKILL')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
