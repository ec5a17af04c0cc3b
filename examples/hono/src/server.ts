import { serve } from '@hono/node-server'
import type { BindingStats } from '@mooring/core'
import { type AppOptions, createApp } from './app.js'

export type { AppOptions }

export interface RunningApp {
  /** http://HOST:PORT */
  url: string
  /** The registration's stats: requests and retries per origin, scopes opened and closed. */
  stats(): BindingStats
  /** What SIGTERM does: stop taking requests, let the ones in flight finish, then close the client. */
  close(): Promise<void>
}

export async function startServer(
  options: AppOptions & { port?: number; host?: string },
): Promise<RunningApp> {
  const { app, http } = createApp(options)
  let url = ''
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const listening = serve(
      { fetch: app.fetch, port: options.port ?? 3000, hostname: options.host ?? '127.0.0.1' },
      (info) => {
        url = `http://${info.address}:${info.port}`
        resolve(listening)
      },
    )
    // #region shutdown
    // closeWith: the client is closed once the server has closed, after its in-flight requests.
    http.closeWith(listening)
    // #endregion shutdown
  })
  return {
    url,
    stats: () => http.stats(),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await http.close()
    },
  }
}
