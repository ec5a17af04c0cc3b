import { appTransport } from '@mooring/core/testing'
import { getRegistrationToken, MooringModule, type NestMooring } from '@mooring/nest'
import { describe, expect, it } from 'vitest'
import { waitFor } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import { createApp, PLATFORMS } from './support/app.js'
import { appModule, type Echo } from './support/fixtures.js'
import { upstreamRoutes } from './support/upstream-routes.js'

describe.each(PLATFORMS)('an in-process call through appTransport on %s', (platform) => {
  it('serves the request with no inbound socket, in its own request scope', async () => {
    const upstream = await fixture.upstream(upstreamRoutes({ abandoned: [] }))
    const module = MooringModule.forRoot({ baseUrl: upstream.url, propagate: ['x-request-id'] })
    const { app } = await createApp(appModule([module]), platform)
    await app.init()
    // Express's app is a (req, res) listener, Fastify's instance has inject(): appTransport takes either.
    const caller = fixture.client({
      baseUrl: 'http://nest.test',
      transport: appTransport(app.getHttpAdapter().getInstance()),
    })

    const res = await caller.get('/service', { headers: { 'x-request-id': 'in-process-1' } })
    expect(res.status).toBe(200)
    const echo = await res.json<Echo>()
    expect(echo.url).toBe('/service')
    expect(echo.headers['x-request-id']).toBe('in-process-1')
    expect(app.getHttpServer().listening).toBe(false)

    const registration = app.get<NestMooring>(getRegistrationToken())
    await waitFor(() => registration.stats().scopesClosed === 1, 'the scope to be closed')
    expect(registration.stats()).toMatchObject({ scopesOpened: 1, scopesClosed: 1 })
  })
})
