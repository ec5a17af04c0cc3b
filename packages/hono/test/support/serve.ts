import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Http2Bindings, type HttpBindings, serve } from '@hono/node-server'

export interface Served {
  url: string
  server: Server
  /** Stops taking requests and resolves once the in-flight ones are done. */
  close(): Promise<void>
}

/** Serves `app` with @hono/node-server on 127.0.0.1, on a free port. */
export async function serveApp(app: {
  fetch: (request: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>
}): Promise<Served> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
  if (!server.listening) await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | null = null
  // A keep-alive connection that goes idle after close() began would hold it for keepAliveTimeout.
  server.on('request', (_req, res) => {
    res.once('close', () => {
      if (closing !== null) setImmediate(() => server.closeIdleConnections())
    })
  })
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      })
      return closing
    },
  }
}

/** Runs `task` `count` times, at most `concurrency` at once. */
export async function inBatches(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++)
    }),
  )
}

/** Polls `check` every 10 ms until it holds, failing after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A promise with its resolver, for events a test waits on. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Resolves with `promise`, or rejects naming `what` after `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    )
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Things a test opened, closed in afterEach even when the test failed half-way. */
export function closing(): {
  track<T extends { close(): Promise<unknown> }>(item: T): T
  closeAll(): Promise<void>
} {
  const items: Array<{ close(): Promise<unknown> }> = []
  return {
    track(item) {
      items.push(item)
      return item
    },
    async closeAll() {
      await Promise.all(items.splice(0).map((item) => item.close()))
    },
  }
}
