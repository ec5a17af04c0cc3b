import type { ClientBinding } from '@mooring/core'
import { getBindingToken, MooringModule } from '@mooring/nest'
import { afterEach, describe, expect, it } from 'vitest'
import { startUpstream, type Upstream } from '../../core/test/support/upstream.js'
import {
  getJson,
  getJsonOnce,
  inBatches,
  PLATFORMS,
  type RunningApp,
  startApp,
  until,
} from './support/app.js'
import { appModule, type Echo } from './support/fixtures.js'
import { type UpstreamLog, upstreamRoutes } from './support/upstream-routes.js'

describe.each(PLATFORMS)("scope: 'app' on %s", (platform) => {
  let upstream: Upstream
  let running: RunningApp | undefined
  let log: UpstreamLog

  afterEach(async () => {
    await running?.app.close()
    running = undefined
    await upstream.close()
  })

  async function start(slowMs?: number): Promise<ClientBinding> {
    log = { abandoned: [] }
    upstream = await startUpstream(upstreamRoutes(log, slowMs))
    const registration = MooringModule.forRoot({
      scope: 'app',
      baseUrl: upstream.url,
      limits: { connections: 4 },
    })
    running = await startApp(appModule([registration]), platform)
    return running.app.get<ClientBinding>(getBindingToken())
  }

  it('serves 200 requests over at most limits.connections upstream connections', async () => {
    const binding = await start()
    const app = running!
    const results = await inBatches(200, 20, (i) => getJson<Echo>(`${app.url}/call/${i}`))
    expect(results.map((r) => r.status)).toEqual(new Array(200).fill(200))
    expect(results.map((r) => r.body.url)).toEqual(results.map((_, i) => `/call/${i}`))
    expect(upstream.requests).toHaveLength(200)
    expect(upstream.connections).toBeGreaterThan(0)
    expect(upstream.connections).toBeLessThanOrEqual(4)
    expect(binding.mode).toBe('app')
    expect(binding.stats()).toMatchObject({ scopesOpened: 0, scopesClosed: 0 })
  })

  it('closes the app client at shutdown, and the upstream sees its connections close', async () => {
    const binding = await start()
    const app = running!
    await inBatches(20, 10, (i) => getJson<Echo>(`${app.url}/call/${i}`))
    expect(upstream.open).toBeGreaterThan(0)
    await app.app.close()
    running = undefined
    expect(binding.client.closed).toBe(true)
    await upstream.waitForOpen(0)
  })

  it('lets the requests in flight finish before it closes the client', async () => {
    const binding = await start(300)
    const app = running!
    // The handler's second call starts after shutdown has begun: it must still find the client open.
    const inFlight = getJsonOnce<{ statuses?: number[]; error?: string }>(`${app.url}/slow-then-quick`)
    await until(() => upstream.requests.some((r) => r.url === '/slow'), 'the upstream call')
    const closing = app.app.close()
    running = undefined
    expect(await inFlight).toEqual({ status: 200, body: { statuses: [200, 200] } })
    await closing
    expect(binding.client.closed).toBe(true)
    expect(log.abandoned).toEqual([])
    await upstream.waitForOpen(0)
  })
})
