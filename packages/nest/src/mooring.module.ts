import {
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnApplicationShutdown,
} from '@nestjs/common'
import { ConfigurableModuleClass, REQUEST_CLIENTS } from './mooring.module-definition.js'
import type { RequestClients } from './request-clients.js'

/**
 * `MooringModule.forRoot(options)` / `MooringModule.forRootAsync({ imports, useFactory, inject })`:
 * one registration of Mooring (one upstream). Register it once per upstream, each with its own `name`.
 */
@Module({})
export class MooringModule extends ConfigurableModuleClass implements NestModule, OnApplicationShutdown {
  readonly #clients: RequestClients

  constructor(@Inject(REQUEST_CLIENTS) clients: RequestClients) {
    super()
    this.#clients = clients
  }

  configure(consumer: MiddlewareConsumer): void {
    // App scope has nothing to do per request: no middleware, so no route layer to match and call.
    if (this.#clients.registration.mode === 'request') consumer.apply(this.#clients.middleware).forRoutes('*')
  }

  /** Nest calls it after the HTTP server has closed, so requests in flight have drained by then. */
  async onApplicationShutdown(): Promise<void> {
    await this.#clients.registration.close()
  }
}
