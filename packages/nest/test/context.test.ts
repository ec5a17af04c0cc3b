import type { NestMooring } from '@mooring/nest'
import { ConfigError, MooringClient } from '@mooring/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { inBatches, waitFor } from '../../core/test/support/async.js'
import { fetchJson } from '../../core/test/support/http.js'
import type { Upstream } from '../../core/test/support/upstream.js'
import { PLATFORMS, type Started, startWithUpstream } from './support/app.js'
import {
  CallController,
  type Echo,
  EchoService,
  ParamClientController,
  RequestClientController,
} from './support/fixtures.js'
import type { UpstreamLog } from './support/upstream-routes.js'
import { clientOnRequest } from '../src/request-clients.js'

const DEADLINE_MS = 300

/** What the contextual client throws with the context off: the option, its value, what to do. */
const CONTEXT_OFF =
  /context: expected true on the registration to use current\(\) in request scope, or read the request's client from @InjectRequestClient\(\), got false/

/** The paths the upstream was called with. */
function calledPaths(running: Started): string[] {
  return running.upstream.requests.map((r) => r.url)
}

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

describe.each(PLATFORMS)('context: false in request scope on %s', (platform) => {
  it('starts; @InjectRequestClient() gets the scope, and using @InjectClient() fails naming `context`', async () => {
    const running = await startWithUpstream(
      platform,
      { context: false, propagate: ['x-request-id'] },
      { controllers: [CallController, RequestClientController] },
    )

    const scoped = await fetchJson<Echo & { isAppClient: boolean }>(`${running.url}/request-client`, {
      headers: { 'x-request-id': 'r-1' },
    })
    expect(scoped.status).toBe(200)
    expect(scoped.body).toMatchObject({ url: '/request-client', isAppClient: false })
    expect(scoped.body.headers['x-request-id']).toBe('r-1')
    // The contextual client, injected at startup, fails only when used: in a request and out.
    expect((await fetchJson(`${running.url}/service`)).status).toBe(500)
    const service = running.app.get(EchoService)
    await expect(service.echo('/outside')).rejects.toThrow(ConfigError)
    await expect(service.echo('/outside')).rejects.toThrow(CONTEXT_OFF)
    expect(() => running.registration.current()).toThrow(CONTEXT_OFF)
    expect(calledPaths(running)).toEqual(['/request-client'])
  })

  it("@RequestClient() gives a handler its request's scope from the request, with the context off", async () => {
    const running = await startWithUpstream(
      platform,
      { context: false, propagate: ['x-request-id'] },
      { controllers: [ParamClientController] },
    )
    const answers = await inBatches(10, 10, (i) =>
      fetchJson<Echo & { isAppClient: boolean; closed: boolean }>(`${running.url}/param-client`, {
        headers: { 'x-request-id': `p-${i}` },
      }),
    )
    expect(answers.map((a) => a.status)).toEqual(new Array(10).fill(200))
    expect(answers.map((a) => a.body.headers['x-request-id'])).toEqual(answers.map((_, i) => `p-${i}`))
    expect(answers.every((a) => !a.body.isAppClient && !a.body.closed)).toBe(true)
    // Each request's scope was released when its response closed.
    await waitFor(() => running.registration.stats().scopesClosed === 10, 'the ten scopes closed')
    expect(running.registration.stats().scopesOpened).toBe(10)
  })

  it('@RequestClient() in app scope fails the request with an error naming it', async () => {
    const running = await startWithUpstream(
      platform,
      { scope: 'app' },
      { controllers: [ParamClientController] },
    )
    const { status } = await fetchJson(`${running.url}/param-client`)
    expect(status).toBe(500)
    expect(running.upstream.requests).toHaveLength(0)
    // What the handler's parameter failed with: the decorator, the name, what to do.
    expect(() => clientOnRequest({}, 'http')).toThrow(ConfigError)
    expect(() => clientOnRequest({ raw: {} }, 'http')).toThrow(
      /^@RequestClient: expected the name of a MooringModule registration in request scope .*@InjectClient\(\) is the app client\), got "http"$/,
    )
  })

  it('is accepted in app scope, where the injected client is the app client', async () => {
    const running = await startWithUpstream('express', { scope: 'app', context: false })
    expect(running.app.get(EchoService).http).toBe(running.registration.client)
  })
})
