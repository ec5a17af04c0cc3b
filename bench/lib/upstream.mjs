// Starts the upstream (upstream-server.mjs) in a separate process and reads its counters over IPC.
import { startChild } from './ipc.mjs'

/**
 * @returns {Promise<{ url: string, pid: number, stats(): Promise<{ connections: number, open: number, requests: number }>, close(): Promise<void> }>}
 */
export async function startUpstream() {
  const child = await startChild(new URL('./upstream-server.mjs', import.meta.url), { name: 'upstream' })
  return {
    url: `http://127.0.0.1:${child.ready.port}`,
    pid: child.pid,
    stats: () => child.call('stats', undefined, 10_000),
    close: () => child.close(),
  }
}
