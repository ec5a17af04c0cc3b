import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Express } from 'express'

export interface Served {
  server: Server
  /** http://127.0.0.1:PORT */
  url: string
  /**
   * Closes the server and waits for its 'close' event. Node closes only the connections idle at the
   * moment of `close()`; one still serving a request would then idle for its keep-alive time, so
   * idle connections are closed again until the server is gone.
   */
  close(): Promise<void>
}

/** Starts `app` on 127.0.0.1 on a free port. */
export async function serve(app: Express): Promise<Served> {
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    async close() {
      if (!server.listening) return
      const closed = once(server, 'close')
      server.close()
      const sweep = setInterval(() => server.closeIdleConnections(), 10)
      try {
        await closed
      } finally {
        clearInterval(sweep)
      }
    },
  }
}

/** Polls `predicate` every 10 ms until it holds; rejects naming `what` after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once. */
export async function inBatches<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count)
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      results[i] = await task(i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return results
}
