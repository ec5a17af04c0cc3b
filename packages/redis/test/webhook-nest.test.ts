import 'reflect-metadata'
import type { AddressInfo } from 'node:net'
import {
  DUPLICATE_HEADER,
  expressWebhookGuard,
  memoryStore,
  redisStore,
  type SharedStore,
  StoreUnavailableError,
} from '@mooring/redis'
import {
  Body,
  Controller,
  HttpCode,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  Post,
  RequestMethod,
} from '@nestjs/common'
import { MooringModule } from '@mooring/nest'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, redisSkipReason, startRedisServer } from './support/redis-server.js'

const skip = redisSkipReason()
let server: RedisServer | undefined
beforeAll(async () => {
  if (!skip) server = await startRedisServer()
})
afterAll(async () => {
  await server?.stop()
})

/** A Nest app (on Express, Nest's default) whose webhook route runs behind the guard as a Nest middleware. */
async function nestApp(store: SharedStore, handled: string[]) {
  @Controller('webhooks')
  class WebhooksController {
    @Post('orders')
    @HttpCode(202)
    receive(@Body() event: { id: string }) {
      handled.push(event.id)
      return { accepted: event.id }
    }
  }

  @Module({ controllers: [WebhooksController] })
  class AppModule implements NestModule {
    configure(consumer: MiddlewareConsumer) {
      consumer
        .apply(expressWebhookGuard({ store, key: { body: 'id' } }))
        .forRoutes({ path: 'webhooks/orders', method: RequestMethod.POST })
    }
  }

  const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false })
  await app.listen(0, '127.0.0.1')
  const { port } = app.getHttpServer().address() as AddressInfo
  return { app, url: `http://127.0.0.1:${port}` }
}

const kinds = skip ? (['memory'] as const) : (['memory', 'redis'] as const)

describe.each(kinds)('webhook guard in NestJS (%s)', (kind) => {
  it('a Nest middleware is an Express middleware: a repeated delivery is answered without the handler', async () => {
    const store =
      kind === 'memory'
        ? memoryStore()
        : redisStore({ url: (server as RedisServer).url, prefix: `${(server as RedisServer).prefix}nest:` })
    const handled: string[] = []
    const { app, url } = await nestApp(store, handled)
    try {
      const deliver = async (id: string) => {
        const response = await fetch(`${url}/webhooks/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id }),
        })
        return {
          status: response.status,
          duplicate: response.headers.get(DUPLICATE_HEADER),
          body: await response.text(),
        }
      }
      const id = `evt_${Date.now()}`
      expect(await deliver(id)).toEqual({
        status: 202,
        duplicate: null,
        body: JSON.stringify({ accepted: id }),
      })
      expect(await deliver(id)).toEqual({ status: 202, duplicate: 'true', body: '' })
      expect(handled).toEqual([id])
    } finally {
      await app.close()
      await store.close()
    }
  })
})

describe.skipIf(skip)('MooringModule.forRoot({ stores })', () => {
  it('app.close() closes the store after the client', async () => {
    const store = redisStore({
      url: (server as RedisServer).url,
      prefix: `${(server as RedisServer).prefix}nest-close:`,
      log: () => {},
    })
    @Module({ imports: [MooringModule.forRoot({ baseUrl: 'http://127.0.0.1:1', stores: [store] })] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false })
    await app.init()
    expect(await store.once('probe', { failMode: 'closed' }, () => 'ran')).toBe('ran')
    await app.close()
    await expect(store.once('probe', { failMode: 'closed' }, () => 'ran')).rejects.toBeInstanceOf(
      StoreUnavailableError,
    )
  })
})
