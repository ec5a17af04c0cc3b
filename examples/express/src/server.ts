import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { RegistrationStats } from '@mooring/core'
import { type AppOptions, createApp } from './app.js'

export type { AppOptions }

export interface RunningApp {
  /** http://HOST:PORT */
  url: string
  /** The registration's stats: requests and retries per origin, scopes opened and closed. */
  stats(): RegistrationStats
  /** What SIGTERM does: stop taking requests, let the ones in flight finish, then close the client. */
  close(): Promise<void>
}

export async function startServer(
  options: AppOptions & { port?: number; host?: string },
): Promise<RunningApp> {
  const { app, http } = createApp(options)
  // #region shutdown
  // closeWith: the client is closed once the server has closed, after its in-flight requests.
  const server = http.closeWith(app.listen(options.port ?? 3000, options.host ?? '127.0.0.1'))
  // #endregion shutdown
  await once(server, 'listening')
  const { address, port } = server.address() as AddressInfo
  return {
    url: `http://${address}:${port}`,
    stats: () => http.stats(),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await http.close()
    },
  }
}
