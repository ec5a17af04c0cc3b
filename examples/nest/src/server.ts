import type { AddressInfo } from 'node:net'
import type { RegistrationStats } from '@mooring/core'
import { getRegistrationToken, type NestMooring } from '@mooring/nest'
import { NestFactory } from '@nestjs/core'
import { type AppOptions, AppModule } from './app.module.js'

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
  options: AppOptions & { port?: number; host?: string; logger?: boolean },
): Promise<RunningApp> {
  const app = await NestFactory.create(AppModule.forRoot(options), {
    logger: options.logger ? undefined : false,
  })
  // #region shutdown
  // SIGTERM and SIGINT run app.close(): the HTTP server closes, requests in flight finish, then
  // MooringModule's onApplicationShutdown closes the client.
  app.enableShutdownHooks()
  // #endregion shutdown
  await app.listen(options.port ?? 3000, options.host ?? '127.0.0.1')
  const { address, port } = app.getHttpServer().address() as AddressInfo
  const registration = app.get<NestMooring>(getRegistrationToken())
  return {
    url: `http://${address}:${port}`,
    stats: () => registration.stats(),
    close: () => app.close(),
  }
}
