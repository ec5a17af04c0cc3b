import type { AddressInfo } from 'node:net'
import { mooring } from '@mooring/fastify'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { it } from 'vitest'
import { answerRoute, type Route, soak } from '../../core/test/reliability/support/soak.js'

it('Fastify, request scopes: tens of thousands of requests through a faulty upstream, nothing lost or left behind', {
  timeout: 120_000,
}, async () => {
  await soak('fastify', async (options) => {
    const app = Fastify()
    await app.register(mooring, options)
    const route = (name: Route) => async (request: FastifyRequest, reply: FastifyReply) => {
      const answer = await answerRoute(
        request.http,
        name,
        String(request.headers['x-request-id']),
        request.body,
      )
      reply.code(answer.status)
      return answer.body
    }
    app.get('/item/:n', route('item'))
    app.post('/order', route('order'))
    app.post('/once', route('once'))
    app.get('/slow', route('slow'))
    await app.listen({ port: 0, host: '127.0.0.1' })
    const registration = app.mooring.get('http')
    return {
      base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
      stats: () => registration.stats(),
      close: () => app.close(),
    }
  })
})
