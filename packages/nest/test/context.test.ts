import type { NestMooring } from '@mooring/nest'
import { MooringClient } from '@mooring/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { inBatches, waitFor } from '../../core/test/support/async.js'
import { fetchJson } from '../../core/test/support/http.js'
import type { Upstream } from '../../core/test/support/upstream.js'
import { PLATFORMS, type Started, startWithUpstream } from './support/app.js'
import { type Echo, EchoService } from './support/fixtures.js'
import type { UpstreamLog } from './support/upstream-routes.js'

const DEADLINE_MS = 300

describe.each(PLATFORMS)('propagate, deadline and the current client on %s', (platform) => {
  let upstream: Upstream
  let running: Started
  let registration: NestMooring
  let log: UpstreamLog

  beforeEach(async () => {
    running = await startWithUpstream(platform, { propagate: ['x-request-id'], deadline: DEADLINE_MS })
    upstream = running.upstream
    registration = running.registration
    log = running.log
  })

  it("sends each request's x-request-id from a service that has no req", async () => {
    const results = await inBatches(20, 20, (i) =>
      fetchJson<Echo>(`${running.url}/service`, { headers: { 'x-request-id': `req-${i}` } }),
    )
    expect(results.map((r) => r.body.headers['x-request-id'])).toEqual(results.map((_, i) => `req-${i}`))
    expect(upstream.requests.map((r) => r.url)).toEqual(new Array(20).fill('/service'))
  })

  it('gives the same service the app client outside a request', async () => {
    const service = running.app.get(EchoService)
    expect(service.http).toBeInstanceOf(MooringClient)
    expect(registration.current()).toBe(registration.client)
    const echo = await service.echo('/outside')
    expect(echo.url).toBe('/outside')
    expect(echo.headers['x-request-id']).toBeUndefined()
    expect(registration.stats().scopesOpened).toBe(0)
  })

  it('fails a slow call with TimeoutError (phase total) once the inbound deadline is spent', async () => {
    const { status, body } = await fetchJson<{ error?: string; phase?: string; ms: number }>(
      `${running.url}/slow`,
    )
    expect(status).toBe(200)
    expect(body).toMatchObject({ error: 'TimeoutError', phase: 'total' })
    expect(body.ms).toBeGreaterThanOrEqual(DEADLINE_MS - 100)
    expect(body.ms).toBeLessThan(DEADLINE_MS + 2_000)
    await waitFor(() => log.abandoned.length === 1, 'the upstream to see the call abandoned')
  })
})

describe('context: false', () => {
  it('refuses @InjectClient() in request scope at start-up, naming the option', async () => {
    await expect(startWithUpstream('express', { context: false })).rejects.toThrow(/context/)
  })

  it('is accepted in app scope, where the injected client is the app client', async () => {
    const running = await startWithUpstream('express', { scope: 'app', context: false })
    expect(running.app.get(EchoService).http).toBe(running.registration.client)
  })
})
