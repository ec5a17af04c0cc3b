import type { MooringModuleRootOptions, NestMooring } from '@mooring/nest'
import { describe, expect, it } from 'vitest'
import { inBatches, waitFor } from '../../core/test/support/async.js'
import { fetchJson } from '../../core/test/support/http.js'
import type { Upstream } from '../../core/test/support/upstream.js'
import { PLATFORMS, type RunningApp, startWithUpstream } from './support/app.js'
import { CallController, type Echo, RequestScopedController, TimedOutController } from './support/fixtures.js'
import type { UpstreamLog } from './support/upstream-routes.js'

describe.each(PLATFORMS)("scope: 'request' on %s", (platform) => {
  let upstream: Upstream
  let log: UpstreamLog

  async function start(
    options: Omit<MooringModuleRootOptions, 'baseUrl'>,
  ): Promise<[RunningApp, NestMooring]> {
    const started = await startWithUpstream(platform, options, {
      controllers: [CallController, RequestScopedController, TimedOutController],
    })
    upstream = started.upstream
    log = started.log
    return [started, started.registration]
  }

  it('reuses the shared pool and closes every scope at teardown, also when the handler throws', async () => {
    const [app, registration] = await start({ limits: { connections: 4 } })
    const results = await inBatches(200, 20, (i) => fetchJson<Echo>(`${app.url}/call/${i}`))
    expect(results.map((r) => r.status)).toEqual(new Array(200).fill(200))
    expect(results.map((r) => r.body.url)).toEqual(results.map((_, i) => `/call/${i}`))
    expect(upstream.connections).toBeGreaterThan(0)
    expect(upstream.connections).toBeLessThanOrEqual(4)

    const failed = await inBatches(10, 5, async () => (await fetch(`${app.url}/throw`)).status)
    expect(failed).toEqual(new Array(10).fill(500))
    expect(upstream.requests.filter((r) => r.url === '/throw')).toHaveLength(10)

    await waitFor(() => registration.stats().scopesClosed === 210, 'every scope to be closed')
    expect(registration.stats()).toMatchObject({ scopesOpened: 210, scopesClosed: 210, inFlight: 0 })
  })

  it('aborts the upstream call when the downstream client goes away', async () => {
    const [app, registration] = await start({})
    const downstream = new AbortController()
    const pending = fetch(`${app.url}/slow`, { signal: downstream.signal }).then(
      () => 'answered',
      (err: Error) => err.name,
    )
    await waitFor(() => upstream.requests.some((r) => r.url === '/slow'), 'the upstream call')
    expect(log.abandoned).toEqual([])
    const abortedAt = Date.now()
    downstream.abort()
    expect(await pending).toBe('AbortError')
    await waitFor(() => log.abandoned.length === 1, 'the upstream to see the call abandoned', 1_000)
    expect(log.abandoned[0].at - abortedAt).toBeLessThan(1_000)
    await waitFor(() => registration.stats().scopesClosed === 1, 'the scope to be closed')
    expect(registration.stats()).toMatchObject({ scopesOpened: 1, inFlight: 0 })
  })

  it('closes the scope of a handler that timed out, aborting the call it left behind', async () => {
    const [app, registration] = await start({})
    const res = await fetch(`${app.url}/timed-out`)
    expect(res.status).toBe(408)
    await waitFor(() => log.abandoned.length === 1, 'the upstream to see the call abandoned', 1_000)
    await waitFor(() => registration.stats().scopesClosed === 1, 'the scope to be closed')
    expect(registration.stats()).toMatchObject({ scopesOpened: 1, inFlight: 0 })
  })

  it("gives each request a pool of its own with pool: 'isolated', closed at teardown", async () => {
    const [app, registration] = await start({ pool: 'isolated', requestLimits: { connections: 1 } })
    const results = await inBatches(10, 5, (i) => fetchJson<Echo>(`${app.url}/call/${i}`))
    expect(results.map((r) => r.status)).toEqual(new Array(10).fill(200))
    // One connection per request: no pool outlives its request to serve the next one.
    expect(upstream.connections).toBe(10)
    await upstream.waitForOpen(0)
    await waitFor(() => registration.stats().scopesClosed === 10, 'every scope to be closed')
    expect(registration.stats()).toMatchObject({ scopesOpened: 10, scopesClosed: 10 })
  })

  it('injects the request client itself into a Scope.REQUEST consumer', async () => {
    const [app, registration] = await start({ propagate: ['x-request-id'] })
    const { status, body } = await fetchJson<Echo & { isCurrent: boolean; isAppClient: boolean }>(
      `${app.url}/request-scoped`,
      { headers: { 'x-request-id': 'scoped-1' } },
    )
    expect(status).toBe(200)
    expect(body).toMatchObject({ isCurrent: true, isAppClient: false, url: '/request-scoped' })
    expect(body.headers['x-request-id']).toBe('scoped-1')
    await waitFor(() => registration.stats().scopesClosed === 1, 'the scope to be closed')
  })
})
