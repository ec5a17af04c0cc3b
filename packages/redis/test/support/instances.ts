import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import type { WorkerReport, WorkerTask } from './worker.js'

/** Forks app instances running the bundled worker; `killAll` at the end of a file. */
export function instances(worker: () => string) {
  const children = new Set<ChildProcess>()
  return {
    /** Forks one; resolves with its reports once it exits (killed after `limitMs` at most: a hang fails the test). */
    spawn(
      task: WorkerTask,
      onReport?: (report: WorkerReport, child: ChildProcess) => void,
      limitMs = 30_000,
    ) {
      const child = fork(worker(), [JSON.stringify(task)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
      children.add(child)
      // What the instance logs (the store's outage and recovery lines): returned for the test to assert.
      let output = ''
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk))
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk))
      const reports: WorkerReport[] = []
      child.on('message', (report: WorkerReport) => {
        reports.push(report)
        onReport?.(report, child)
      })
      const guard = setTimeout(() => child.kill('SIGKILL'), limitMs)
      return once(child, 'exit').then(([code, signal]) => {
        clearTimeout(guard)
        children.delete(child)
        return { code: code as number | null, signal: signal as NodeJS.Signals | null, reports, output }
      })
    },
    killAll() {
      for (const child of children) child.kill('SIGKILL')
    },
  }
}
