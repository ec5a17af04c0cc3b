import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ConfigError,
  ConnectionError,
  createClient,
  type MooringClient,
  type RetryEvent,
  TimeoutError,
} from '../src/index.js'
import { sleep } from './support/async.js'
import { startUpstream, type Upstream } from './support/upstream.js'

// The path Bun and Cloudflare Workers take by themselves, forced on Node: requests go through the
// global fetch, one per attempt, and everything above the dispatcher is the same code.
let upstream: Upstream
let attempts503 = 0
beforeAll(async () => {
  upstream = await startUpstream(async (req, res) => {
    if (req.url === '/echo') {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ method: req.method, requestId: req.headers['x-request-id'] ?? null }))
    } else if (req.url === '/slow') {
      await sleep(2_000)
      res.end('late')
    } else if (req.url === '/flaky') {
      attempts503++
      if (attempts503 % 2 === 1) {
        res.statusCode = 503
        res.end('busy')
      } else res.end('ok')
    } else if (req.url === '/moved') {
      res.statusCode = 302
      res.setHeader('location', '/echo')
      res.end()
    } else {
      res.statusCode = 404
      res.end()
    }
  })
})
afterAll(() => upstream.close())

function fetchClient(options: Parameters<typeof createClient>[0] = {}): MooringClient {
  return createClient({ baseUrl: upstream.url, transport: 'fetch', ...options })
}

describe("transport: 'fetch'", () => {
  it('sends through fetch with the scope headers, and closes', async () => {
    const client = fetchClient({ headers: { 'x-request-id': 'r-1' } })
    const scope = client.scope({ headers: { 'x-request-id': 'r-2' } })
    const response = await scope.get('/echo')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ method: 'GET', requestId: 'r-2' })
    await scope.close()
    await client.close()
    expect(client.closed).toBe(true)
    await expect(client.get('/echo')).rejects.toMatchObject({ name: 'ClientClosedError' })
  })

  it('leaves redirects to Mooring: a 3xx goes to the caller unless followRedirects', async () => {
    const client = fetchClient()
    const moved = await client.get('/moved')
    expect(moved.status).toBe(302)
    await moved.text()
    const followed = await client.get('/moved', { followRedirects: true })
    expect(followed.status).toBe(200)
    expect(await followed.json()).toMatchObject({ method: 'GET' })
    await client.close()
  })

  it('fires a scope deadline as a TimeoutError', async () => {
    const client = fetchClient()
    const scope = client.scope({ deadline: Date.now() + 150 })
    const err = await scope.get('/slow').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err).toMatchObject({ phase: 'total', delivery: 'maybe' })
    await client.close()
  })

  it('fires the headers timeout by phase', async () => {
    const client = fetchClient({ timeout: { headers: 100 }, retry: false })
    const err = await client.get('/slow').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err).toMatchObject({ phase: 'headers' })
    await client.close()
  })

  it('retries a 503 and reports the retry', async () => {
    const retries: RetryEvent[] = []
    const client = fetchClient({
      retry: { backoff: { base: 1, max: 5 } },
      hooks: { onRetry: (e) => retries.push(e) },
    })
    const response = await client.get('/flaky')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('ok')
    expect(response.attempts).toBe(2)
    expect(retries.map((r) => r.reason)).toEqual(['status:503'])
    await client.close()
  })

  it('says a refused connection was not sent, so even a POST is retried', async () => {
    const port = await freePort()
    const client = createClient({
      baseUrl: `http://127.0.0.1:${port}`,
      transport: 'fetch',
      retry: { limit: 1, backoff: { base: 1, max: 2 } },
    })
    const err = await client.post('/x', { json: { a: 1 } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionError)
    expect(err).toMatchObject({ causeCode: 'ECONNREFUSED', delivery: 'not-sent', attempts: 2 })
    await client.close()
  })

  it('refuses what only an owned pool can honour, naming the option', () => {
    for (const [option, value] of [
      ['limits', { connections: 2 }],
      ['tls', { servername: 'x' }],
      ['http2', true],
      ['proxy', 'http://127.0.0.1:1'],
    ] as const) {
      expect(() => fetchClient({ [option]: value })).toThrow(ConfigError)
      expect(() => fetchClient({ [option]: value })).toThrow(
        new RegExp(`^${option}: expected no value with transport: 'fetch'`),
      )
    }
    const client = fetchClient()
    expect(() => client.scope({ pool: 'isolated' })).toThrow(/^pool: expected 'shared' on transport: 'fetch'/)
    return client.close()
  })

  it('aborts an in-flight call when the client is closed', async () => {
    const client = fetchClient()
    const pending = client.get('/slow').catch((e: unknown) => e)
    await sleep(50)
    await client.close({ drainTimeout: 0 })
    const err = await pending
    expect(err).toMatchObject({ name: 'AbortError' })
  })
})

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
