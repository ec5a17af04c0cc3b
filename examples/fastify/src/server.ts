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
  const app = await createApp(options)
  await app.listen({ port: options.port ?? 3000, host: options.host ?? '127.0.0.1' })
  const { address, port } = app.server.address() as AddressInfo
  // #region shutdown
  // Fastify stops taking requests, lets those in flight finish, then runs the plugin's onClose
  // hook, which closes the client.
  const close = () => app.close()
  // #endregion shutdown
  return { url: `http://${address}:${port}`, stats: () => app.mooring.get().stats(), close }
}
