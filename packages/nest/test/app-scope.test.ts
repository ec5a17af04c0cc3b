import { describe, expect, it } from 'vitest'
import { inBatches, waitFor } from '../../core/test/support/async.js'
import { fetchJson, getJson } from '../../core/test/support/http.js'
import { PLATFORMS, type Started, startWithUpstream } from './support/app.js'
import type { Echo } from './support/fixtures.js'

describe.each(PLATFORMS)("scope: 'app' on %s", (platform) => {
  const start = (slowMs?: number): Promise<Started> =>
    startWithUpstream(platform, { scope: 'app', limits: { connections: 4 } }, { slowMs })

  it('serves 200 requests over at most limits.connections upstream connections', async () => {
    const app = await start()
    const { registration, upstream } = app
    const results = await inBatches(200, 20, (i) => fetchJson<Echo>(`${app.url}/call/${i}`))
    expect(results.map((r) => r.status)).toEqual(new Array(200).fill(200))
    expect(results.map((r) => r.body.url)).toEqual(results.map((_, i) => `/call/${i}`))
    expect(upstream.requests).toHaveLength(200)
    expect(upstream.connections).toBeGreaterThan(0)
    expect(upstream.connections).toBeLessThanOrEqual(4)
    expect(registration.mode).toBe('app')
    expect(registration.stats()).toMatchObject({ scopesOpened: 0, scopesClosed: 0 })
  })

  it('closes the app client at shutdown, and the upstream sees its connections close', async () => {
    const app = await start()
    const { registration, upstream } = app
    await inBatches(20, 10, (i) => fetchJson<Echo>(`${app.url}/call/${i}`))
    expect(upstream.open).toBeGreaterThan(0)
    await app.close()
    expect(registration.client.closed).toBe(true)
    await upstream.waitForOpen(0)
  })

  it('lets the requests in flight finish before it closes the client', async () => {
    const app = await start(300)
    const { registration, upstream, log } = app
    // The handler's second call starts after shutdown has begun: it must still find the client open.
    const inFlight = getJson<{ statuses?: number[]; error?: string }>(`${app.url}/slow-then-quick`)
    await waitFor(() => upstream.requests.some((r) => r.url === '/slow'), 'the upstream call')
    const closing = app.close()
    expect(await inFlight).toEqual({ status: 200, body: { statuses: [200, 200] } })
    await closing
    expect(registration.client.closed).toBe(true)
    expect(log.abandoned).toEqual([])
    await upstream.waitForOpen(0)
  })
})
