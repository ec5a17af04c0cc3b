import 'reflect-metadata'
import type { AddressInfo } from 'node:net'
import type { MooringClient } from '@mooring/core'
import { getRegistrationToken, InjectClient, MooringModule, type NestMooring } from '@mooring/nest'
import { Body, Controller, Get, Headers, Module, Post, Res } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { it } from 'vitest'
import { answerRoute, type Route, SOAK_DEFAULTS, soak } from '../../core/test/reliability/support/soak.js'

/** The Fastify soak is the full one; this one runs half as many requests, to keep CI short. */
const HALF = { ...SOAK_DEFAULTS, requests: Math.ceil(SOAK_DEFAULTS.requests / 2) }

interface Reply {
  code(status: number): Reply
  send(body: unknown): void
}

@Controller()
class SoakController {
  constructor(@InjectClient() private readonly http: MooringClient) {}

  async #answer(route: Route, id: string, body: unknown, reply: Reply): Promise<void> {
    const answer = await answerRoute(this.http, route, id, body)
    reply.code(answer.status).send(answer.body)
  }

  @Get('item/:n')
  item(@Headers('x-request-id') id: string, @Res() reply: Reply): Promise<void> {
    return this.#answer('item', id, undefined, reply)
  }

  @Post('order')
  order(@Headers('x-request-id') id: string, @Body() body: unknown, @Res() reply: Reply): Promise<void> {
    return this.#answer('order', id, body, reply)
  }

  @Post('once')
  once(@Headers('x-request-id') id: string, @Body() body: unknown, @Res() reply: Reply): Promise<void> {
    return this.#answer('once', id, body, reply)
  }

  @Get('slow')
  slow(@Headers('x-request-id') id: string, @Res() reply: Reply): Promise<void> {
    return this.#answer('slow', id, undefined, reply)
  }
}

it('NestJS on Fastify, request scopes: tens of thousands of requests through a faulty upstream, nothing lost or left behind', {
  timeout: 120_000,
}, async () => {
  await soak(
    'nest',
    async (options) => {
      @Module({ imports: [MooringModule.forRoot(options)], controllers: [SoakController] })
      class SoakModule {}
      const app = await NestFactory.create(SoakModule, new FastifyAdapter(), {
        logger: false,
        abortOnError: false,
      })
      await app.listen(0, '127.0.0.1')
      const registration = app.get<NestMooring>(getRegistrationToken())
      return {
        base: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`,
        stats: () => registration.stats(),
        close: () => app.close(),
      }
    },
    HALF,
  )
})
