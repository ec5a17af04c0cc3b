// Runs memory/worker.mjs once per mode, each in a fresh process, so the heap measured is that mode's
// alone; the upstream's count of open connections is the socket check no unref'd socket can hide from.
import { setTimeout as sleep } from 'node:timers/promises'
import { startChild } from '../lib/ipc.mjs'

export const MEMORY_MODES = ['mooring-scope', 'undici-request']

export async function runMemorySection({ upstream, size, log }) {
  const results = {}
  for (const mode of MEMORY_MODES) {
    const worker = await startChild(new URL('./worker.mjs', import.meta.url), {
      name: `memory worker (${mode})`,
    })
    try {
      const openBefore = (await upstream.stats()).open
      const result = await worker.call(
        'run',
        {
          mode,
          url: upstream.url,
          count: size.scopes,
          concurrency: size.concurrency,
          connections: size.connections,
          warmup: Math.min(10_000, size.scopes),
        },
        300_000,
      )
      // The client closed its sockets; give their FINs a moment to reach the upstream.
      let openAfter = (await upstream.stats()).open
      for (let i = 0; i < 20 && openAfter > openBefore; i++) {
        await sleep(50)
        openAfter = (await upstream.stats()).open
      }
      log(`  memory (${mode}): ${result.count} in ${Math.round(result.elapsedMs)} ms`)
      const sockets = (h) => h.TCPSocketWrap ?? 0
      results[mode] = {
        ...result,
        heapGrowth: result.after.heapUsed - result.before.heapUsed,
        rssGrowth: result.after.rss - result.before.rss,
        socketsOpen: sockets(result.handlesOpen),
        socketsAfterClose: sockets(result.handlesAfterClose),
        upstreamOpenAfterClose: openAfter - openBefore,
      }
    } finally {
      await worker.close()
    }
  }
  return results
}
