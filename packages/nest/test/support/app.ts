import 'reflect-metadata'
import {
  getRegistrationToken,
  MooringModule,
  type MooringModuleRootOptions,
  type NestMooring,
} from '@mooring/nest'
import type { INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { closeWhenDone, upstream as startUpstream } from '../../../core/test/support/fixtures.js'
import { urlOf } from '../../../core/test/support/http.js'
import type { Upstream } from '../../../core/test/support/upstream.js'
import { appModule } from './fixtures.js'
import { type UpstreamLog, upstreamRoutes } from './upstream-routes.js'

export type Platform = 'express' | 'fastify'
export const PLATFORMS: readonly Platform[] = ['express', 'fastify']

export interface CreatedApp {
  app: INestApplication
  /** Closes the app; again, the same promise. */
  close(): Promise<void>
}

/** Creates the Nest app on `platform`, not listening; closed when the test finishes. */
export async function createApp(module: unknown, platform: Platform): Promise<CreatedApp> {
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter()
  const app = await NestFactory.create(module as never, adapter, { logger: false, abortOnError: false })
  let closing: Promise<void> | undefined
  return closeWhenDone({ app, close: () => (closing ??= app.close()) })
}

export interface RunningApp extends CreatedApp {
  /** http://127.0.0.1:PORT */
  url: string
}

/** Creates the Nest app on `platform` and listens on 127.0.0.1, port 0; closed when the test finishes. */
export async function startApp(module: unknown, platform: Platform): Promise<RunningApp> {
  const created = await createApp(module, platform)
  await created.app.listen(0, '127.0.0.1')
  return { ...created, url: await urlOf(created.app.getHttpServer()) }
}

export interface Started extends RunningApp {
  /** The upstream every Nest test talks to (see `upstreamRoutes`). */
  upstream: Upstream
  log: UpstreamLog
  /** The registration's registration. */
  registration: NestMooring
}

/**
 * Starts the test upstream (`/slow` answers after `slowMs`) and, on `platform`, an app with one
 * `MooringModule.forRoot(options)` registration for it and the given test controllers; both are closed
 * when the test finishes, the app first.
 */
export async function startWithUpstream(
  platform: Platform,
  options: Omit<MooringModuleRootOptions, 'baseUrl'>,
  { slowMs, controllers }: { slowMs?: number; controllers?: Parameters<typeof appModule>[1] } = {},
): Promise<Started> {
  const log: UpstreamLog = { abandoned: [] }
  const upstream = await startUpstream(upstreamRoutes(log, slowMs))
  const registration = MooringModule.forRoot({ ...options, baseUrl: upstream.url })
  const running = await startApp(appModule([registration], controllers), platform)
  return { ...running, upstream, log, registration: running.app.get<NestMooring>(getRegistrationToken()) }
}
