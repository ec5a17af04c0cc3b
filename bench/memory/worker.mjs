// Memory and handles: `count` request scopes, each created, used for one request against the
// upstream and closed, then what stayed behind: heap and RSS after full GCs, and the handles
// (sockets, timers) still open before and after the app client closes. The same count of plain
// undici requests, in a process of its own, is the control: what the runtime grows by anyway.
import { setTimeout as sleep } from 'node:timers/promises'
import { createClient } from '@mooring/core'
import { serve } from '../lib/ipc.mjs'
import { importFrom } from '../lib/resolve.mjs'

async function fullGc() {
  // Several passes with turns in between: finalizers and weak references need a turn to clear.
  for (let i = 0; i < 4; i++) {
    globalThis.gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
}

function memory() {
  const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage()
  return { heapUsed, rss, external, arrayBuffers }
}

/** Open handles by kind, leaving out this process's IPC channel to the parent. */
function handles() {
  const counts = {}
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1
  // The IPC channel is a Pipe (PipeWrap): the parent's, not the client's.
  delete counts.PipeWrap
  return counts
}

/** One unit of work per mode: a Mooring scope opened, used and closed; or the same request on plain undici. */
const UNITS = {
  'mooring-scope': async ({ url, connections }) => {
    const client = createClient({ baseUrl: url, limits: { connections } })
    return {
      async unit() {
        const scope = client.scope()
        try {
          return await (await scope.get('/json')).json()
        } finally {
          await scope.close()
        }
      },
      stats: () => client.stats().inFlight,
      close: () => client.close(),
    }
  },
  'undici-request': async ({ url, connections }) => {
    const { Pool } = await importFrom('core', 'undici')
    const pool = new Pool(url, { connections })
    return {
      async unit() {
        const { body } = await pool.request({ path: '/json', method: 'GET' })
        return await body.json()
      },
      stats: () => 0,
      close: () => pool.close(),
    }
  },
}

async function runUnits(unit, count, concurrency) {
  let started = 0
  let errors = 0
  async function loop() {
    while (started < count) {
      started++
      try {
        const body = await unit()
        if (body.id !== 42) errors++
      } catch {
        errors++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  return errors
}

serve({
  async run({ mode, url, count, concurrency, connections, warmup }) {
    if (typeof globalThis.gc !== 'function') throw new Error('needs --expose-gc')
    const handlesBefore = handles()
    const subject = await UNITS[mode]({ url, connections })
    await runUnits(subject.unit, warmup, concurrency)
    await fullGc()
    const before = memory()
    const t0 = performance.now()
    const errors = await runUnits(subject.unit, count, concurrency)
    const elapsedMs = performance.now() - t0
    // Past the core's 25 ms deadline tick, so its sweeper timer has had the chance to stop.
    await sleep(100)
    await fullGc()
    const after = memory()
    const handlesOpen = handles()
    const inFlightAfter = subject.stats()
    await subject.close()
    await sleep(100)
    await fullGc()
    return {
      mode,
      count,
      errors,
      elapsedMs,
      before,
      after,
      afterClose: memory(),
      handlesBefore,
      handlesOpen,
      handlesAfterClose: handles(),
      inFlightAfter,
    }
  },
})
