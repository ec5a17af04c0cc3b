import type { ServerResponse } from 'node:http'
import { TimeoutError, type TimeoutPhase } from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { fixtures } from './support/fixtures.js'
import { sleep, waitFor } from './support/async.js'

/** Runs `fn`, expects a TimeoutError of `phase`, and returns it with how long it took. */
async function expectTimeout(
  phase: TimeoutPhase,
  fn: () => Promise<unknown>,
): Promise<{ error: TimeoutError; elapsed: number }> {
  const started = performance.now()
  const error = await fn().then(
    () => {
      throw new Error(`expected a ${phase} timeout, the call succeeded`)
    },
    (e: unknown) => e,
  )
  const elapsed = performance.now() - started
  expect(error).toBeInstanceOf(TimeoutError)
  expect((error as TimeoutError).phase).toBe(phase)
  expect((error as TimeoutError).code).toBe('MOORING_TIMEOUT')
  return { error: error as TimeoutError, elapsed }
}

/** A server that sends the head and one chunk, then nothing: the body stalls. */
const stallAfterHead = (_req: unknown, res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.write('first chunk;')
}

describe.concurrent('every timeout phase fires with its phase', () => {
  it('connect: a TLS handshake that never completes', async ({ onTestFinished }) => {
    const f = fixtures(onTestFinished)
    const server = await f.silent()
    // One attempt: a connect timeout is retried by default, and retries are not what this shows.
    const c = f.client({
      baseUrl: `https://127.0.0.1:${server.port}`,
      timeout: { connect: 150 },
      retry: false,
    })
    const { error, elapsed } = await expectTimeout('connect', () => c.get('/x'))
    expect(server.connections).toBe(1)
    expect(error.timeout).toBe(150)
    expect(error.delivery).toBe('not-sent')
    expect(error.message).toContain('connect timeout after 150 ms')
    expect(elapsed).toBeGreaterThanOrEqual(100)
    expect(elapsed).toBeLessThan(3_000)
    // The half-open socket is not kept.
    await waitFor(() => server.open === 0, 'the client to drop the socket', 1_000)
  })

  it('headers: the server never sends a response head', async ({ onTestFinished }) => {
    const f = fixtures(onTestFinished)
    const up = await f.upstream(() => {})
    const c = f.client({ baseUrl: up.url, timeout: { headers: 150 } })
    const { error, elapsed } = await expectTimeout('headers', () => c.get('/slow-head'))
    expect(up.requests).toHaveLength(1)
    expect(error.timeout).toBe(150)
    expect(error.delivery).toBe('maybe')
    expect(elapsed).toBeGreaterThanOrEqual(100)
    expect(elapsed).toBeLessThan(3_000)
    await up.waitForOpen(0, 1_000)
  })

  it('body: the head arrives, then the body stalls', async ({ onTestFinished }) => {
    const f = fixtures(onTestFinished)
    const up = await f.upstream(stallAfterHead)
    const c = f.client({ baseUrl: up.url, timeout: { body: 150 } })
    const res = await c.get('/stall')
    expect(res.status).toBe(200)
    const { error, elapsed } = await expectTimeout('body', () => res.text())
    expect(error.timeout).toBe(150)
    expect(elapsed).toBeLessThan(3_000)
    await up.waitForOpen(0, 1_000)
    expect(c.stats().inFlight).toBe(0)
  })

  it('pool: the only connection is held by a slow request', async ({ onTestFinished }) => {
    const f = fixtures(onTestFinished)
    const release: Array<() => void> = []
    const up = await f.upstream((_req, res) => {
      release.push(() => res.end('slow'))
    })
    const c = f.client({ baseUrl: up.url, limits: { connections: 1 }, timeout: { pool: 150 } })
    const slow = c.get('/slow')
    await waitFor(() => up.requests.length === 1, 'the slow request upstream')

    const { error, elapsed } = await expectTimeout('pool', () => c.get('/queued'))
    expect(error.timeout).toBe(150)
    expect(error.delivery).toBe('not-sent')
    expect(elapsed).toBeGreaterThanOrEqual(100)
    expect(elapsed).toBeLessThan(3_000)

    release.shift()?.()
    expect(await (await slow).text()).toBe('slow')
    // The queued request timed out before it reached the connection: the upstream never saw it.
    await sleep(50)
    expect(up.requests.map((r) => r.url)).toEqual(['/slow'])
    expect(up.connections).toBe(1)
  })

  it('total: the whole call, body included, however steadily the server trickles', async ({
    onTestFinished,
  }) => {
    const f = fixtures(onTestFinished)
    const up = await f.upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      const timer = setInterval(() => res.write('.'), 20)
      res.on('close', () => clearInterval(timer))
    })
    const c = f.client({ baseUrl: up.url, timeout: { total: 250, body: 5_000 } })
    const started = performance.now()
    const res = await c.get('/trickle')
    const { error } = await expectTimeout('total', () => res.text())
    expect(error.timeout).toBe(250)
    expect(performance.now() - started).toBeLessThan(3_000)
    await up.waitForOpen(0, 1_000)
  })

  it('total: a server that never answers', async ({ onTestFinished }) => {
    const f = fixtures(onTestFinished)
    const up = await f.upstream(() => {})
    const c = f.client({ baseUrl: up.url, timeout: { total: 150 } })
    const { error, elapsed } = await expectTimeout('total', () => c.get('/never'))
    expect(error.delivery).toBe('maybe')
    expect(elapsed).toBeGreaterThanOrEqual(100)
    expect(elapsed).toBeLessThan(3_000)
  })
})

describe.concurrent('per-request timeouts', () => {
  it('a shorter per-request timeout overrides the client one', async ({ onTestFinished }) => {
    const f = fixtures(onTestFinished)
    const up = await f.upstream(() => {})
    const c = f.client({ baseUrl: up.url, timeout: { headers: 10_000 } })
    const { error, elapsed } = await expectTimeout('headers', () =>
      c.get('/short', { timeout: { headers: 120 } }),
    )
    expect(error.timeout).toBe(120)
    expect(elapsed).toBeLessThan(3_000)
  })

  it('a longer per-request timeout lets a slow answer through', async ({ onTestFinished }) => {
    const f = fixtures(onTestFinished)
    const up = await f.upstream(async (_req, res) => {
      await sleep(300)
      res.end('late but fine')
    })
    const c = f.client({ baseUrl: up.url, timeout: { total: 100 } })
    await expectTimeout('total', () => c.get('/default'))
    const res = await c.get('/longer', { timeout: { total: 2_000 } })
    expect(await res.text()).toBe('late but fine')
  })

  it('per-request total and pool overrides', async ({ onTestFinished }) => {
    const f = fixtures(onTestFinished)
    const release: Array<() => void> = []
    const up = await f.upstream((_req, res) => {
      release.push(() => res.end('ok'))
    })
    const c = f.client({ baseUrl: up.url, limits: { connections: 1 } })
    const holder = c.get('/hold')
    await waitFor(() => up.requests.length === 1, 'the holding request upstream')
    const pool = await expectTimeout('pool', () => c.get('/queued', { timeout: { pool: 100 } }))
    expect(pool.error.timeout).toBe(100)
    const total = await expectTimeout('total', () => c.get('/queued', { timeout: { total: 100 } }))
    expect(total.error.timeout).toBe(100)
    release.shift()?.()
    await (await holder).dump()
  })

  it('a scope timeout applies to its calls only', async ({ onTestFinished }) => {
    const f = fixtures(onTestFinished)
    const up = await f.upstream(async (_req, res) => {
      await sleep(250)
      res.end('ok')
    })
    const c = f.client({ baseUrl: up.url })
    const scope = c.scope({ timeout: { total: 80 } })
    const { error } = await expectTimeout('total', () => scope.get('/scoped'))
    expect(error.timeout).toBe(80)
    expect(await (await c.get('/parent')).text()).toBe('ok')
    await scope.close()
  })
})
