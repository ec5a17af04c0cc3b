import { appTransport, type ClientBinding, createClient, type MooringClient } from '@mooring/core'
import { getBindingToken, MooringModule } from '@mooring/nest'
import type { INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { startUpstream, type Upstream } from '../../core/test/support/upstream.js'
import { PLATFORMS, until } from './support/app.js'
import { appModule, type Echo } from './support/fixtures.js'
import { upstreamRoutes } from './support/upstream-routes.js'

describe.each(PLATFORMS)('an in-process call through appTransport on %s', (platform) => {
  let upstream: Upstream
  let app: INestApplication
  let caller: MooringClient

  afterEach(async () => {
    await caller.close()
    await app.close()
    await upstream.close()
  })

  it('serves the request with no inbound socket, in its own request scope', async () => {
    upstream = await startUpstream(upstreamRoutes({ abandoned: [] }))
    const registration = MooringModule.forRoot({ baseUrl: upstream.url, propagate: ['x-request-id'] })
    const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter()
    app = await NestFactory.create(appModule([registration]), adapter, { logger: false, abortOnError: false })
    await app.init()
    // Express's app is a (req, res) listener, Fastify's instance has inject(): appTransport takes either.
    caller = createClient({
      baseUrl: 'http://nest.test',
      transport: appTransport(app.getHttpAdapter().getInstance()),
    })

    const res = await caller.get('/service', { headers: { 'x-request-id': 'in-process-1' } })
    expect(res.status).toBe(200)
    const echo = await res.json<Echo>()
    expect(echo.url).toBe('/service')
    expect(echo.headers['x-request-id']).toBe('in-process-1')
    expect(app.getHttpServer().listening).toBe(false)

    const binding = app.get<ClientBinding>(getBindingToken())
    await until(() => binding.stats().scopesClosed === 1, 'the scope to be closed')
    expect(binding.stats()).toMatchObject({ scopesOpened: 1, scopesClosed: 1 })
  })
})
