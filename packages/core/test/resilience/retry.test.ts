import diagnosticsChannel from 'node:diagnostics_channel'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  ConnectionError,
  createClient,
  HttpStatusError,
  type RetryEvent,
  TimeoutError,
} from '../../src/index.js'
import * as fixture from '../support/fixtures.js'
import { startUpstream, type Upstream } from '../support/upstream.js'

/** An upstream that answers each request with the next status of `script` (the last one repeats). */
async function scripted(script: Array<{ status: number; retryAfter?: string }>): Promise<Upstream> {
  let i = 0
  return fixture.upstream((req: IncomingMessage, res: ServerResponse) => {
    const step = script[Math.min(i++, script.length - 1)]
    req.resume()
    req.on('end', () => {
      if (step.retryAfter !== undefined) res.setHeader('retry-after', step.retryAfter)
      res.statusCode = step.status
      res.end(JSON.stringify({ status: step.status, key: req.headers['idempotency-key'] ?? null }))
    })
  })
}

const fast = { backoff: { base: 5, max: 20 } }

describe('retries', () => {
  it('waits for Retry-After: 1 on a 503, then succeeds on attempt 2', async () => {
    const upstream = await scripted([{ status: 503, retryAfter: '1' }, { status: 200 }])
    const client = fixture.client({ baseUrl: upstream.url })
    const started = performance.now()
    const res = await client.get('/search')
    const waited = performance.now() - started
    expect(res.status).toBe(200)
    expect(res.attempts).toBe(2)
    expect(res.retries).toEqual([{ attempt: 1, reason: 'status:503', delay: 1000 }])
    expect(waited).toBeGreaterThanOrEqual(950)
    expect(waited).toBeLessThan(5000)
  })

  it('succeeds on attempt 3 after two 429s', async () => {
    const upstream = await scripted([{ status: 429 }, { status: 429 }, { status: 200 }])
    const client = fixture.client({ baseUrl: upstream.url, retry: fast })
    const res = await client.get('/x')
    expect(res.status).toBe(200)
    expect(res.attempts).toBe(3)
    expect(res.retries.map((r) => r.reason)).toEqual(['status:429', 'status:429'])
    expect(client.stats().origins[upstream.url].retries).toEqual({ 'status:429': 2 })
  })

  it('never retries a 404', async () => {
    const upstream = await scripted([{ status: 404 }, { status: 200 }])
    const client = fixture.client({ baseUrl: upstream.url, retry: fast })
    const res = await client.get('/missing')
    expect(res.status).toBe(404)
    expect(res.attempts).toBe(1)
    expect(upstream.requests).toHaveLength(1)
  })

  it('never retries a POST without an Idempotency-Key on 503', async () => {
    const upstream = await scripted([{ status: 503 }, { status: 200 }])
    const client = fixture.client({ baseUrl: upstream.url, retry: fast })
    const res = await client.post('/orders', { json: { n: 1 } })
    expect(res.status).toBe(503)
    expect(res.attempts).toBe(1)
    expect(upstream.requests).toHaveLength(1)
  })

  it('retries a POST with a key, sending the same key on every attempt', async () => {
    const upstream = await scripted([{ status: 503 }, { status: 502 }, { status: 201 }])
    const client = fixture.client({ baseUrl: upstream.url, retry: fast })
    const res = await client.post('/orders', { json: { n: 1 }, headers: { 'Idempotency-Key': 'abc-1' } })
    expect(res.status).toBe(201)
    expect(upstream.requests.map((r) => r.headers['idempotency-key'])).toEqual(['abc-1', 'abc-1', 'abc-1'])
  })

  it("generates one key per call with idempotencyKey: 'auto' and reuses it on every attempt", async () => {
    const upstream = await scripted([{ status: 503 }, { status: 200 }])
    const client = fixture.client({ baseUrl: upstream.url, retry: fast, idempotencyKey: 'auto' })
    const first = await client.post('/orders', { json: { n: 1 } })
    expect(first.attempts).toBe(2)
    const second = await client.post('/orders', { json: { n: 2 } })
    const keys = upstream.requests.map((r) => r.headers['idempotency-key'])
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/)
    expect(keys[1]).toBe(keys[0])
    expect(keys[2]).not.toBe(keys[0])
    expect(second.status).toBe(200)
    // GET is idempotent already: no key is added to it.
    await client.get('/x')
    expect(upstream.requests.at(-1)?.headers['idempotency-key']).toBeUndefined()
  })

  it('does not wait for a Retry-After beyond maxRetryAfter: the caller gets the response and retryAfter', async () => {
    const upstream = await scripted([{ status: 503, retryAfter: '120' }])
    const client = fixture.client({ baseUrl: upstream.url, retry: { maxRetryAfter: 2_000 } })
    const started = performance.now()
    const res = await client.get('/x')
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(res.status).toBe(503)
    expect(res.attempts).toBe(1)
    expect(res.retryAfter).toBe(120_000)
    const error = await client.get('/x', { raiseForStatus: true }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpStatusError)
    expect((error as HttpStatusError).retryAfter).toBe(120_000)
  })

  it('does not wait for a Retry-After past the total deadline', async () => {
    const upstream = await scripted([{ status: 503, retryAfter: '3' }, { status: 200 }])
    const client = fixture.client({ baseUrl: upstream.url, timeout: { total: 1_000 } })
    const res = await client.get('/x')
    expect(res.status).toBe(503)
    expect(res.attempts).toBe(1)
  })

  it('bounds attempts plus backoff waits by the total deadline', async () => {
    const upstream = await scripted([{ status: 500 }])
    const client = fixture.client({
      baseUrl: upstream.url,
      timeout: { total: 400 },
      retry: { limit: 20, backoff: { base: 100, max: 150 } },
    })
    const started = performance.now()
    const res = await client.get('/x').catch((e: unknown) => e)
    const elapsed = performance.now() - started
    // Either the last 500 (no time for another wait) or a total timeout: never past the deadline.
    if (res instanceof TimeoutError) expect(res.phase).toBe('total')
    else expect((res as { status: number }).status).toBe(500)
    expect(elapsed).toBeLessThan(1_500)
    expect(upstream.requests.length).toBeLessThan(21)
  })

  it('retries connection errors before a response (ECONNREFUSED) and reports every retry', async () => {
    const dead = await startUpstream()
    const url = dead.url
    await dead.close()
    const client = fixture.client({ baseUrl: url, retry: fast })
    const error = await client.get('/x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error).toMatchObject({ causeCode: 'ECONNREFUSED', delivery: 'not-sent', attempts: 3 })
    expect((error as ConnectionError).retries.map((r) => r.reason)).toEqual(['ECONNREFUSED', 'ECONNREFUSED'])
  })

  it('is off with retry: false, per client and per request', async () => {
    const upstream = await scripted([{ status: 503 }, { status: 200 }])
    const client = fixture.client({ baseUrl: upstream.url, retry: false })
    expect((await client.get('/x')).status).toBe(503)
    expect((await client.get('/x', { retry: { ...fast } })).status).toBe(200)
  })

  it('reports each retry to onRetry and to the mooring:retry diagnostics channel with its reason', async () => {
    const upstream = await scripted([{ status: 503 }, { status: 504 }, { status: 200 }])
    const hooked: RetryEvent[] = []
    const published: RetryEvent[] = []
    const listener = (message: unknown) => published.push(message as RetryEvent)
    diagnosticsChannel.subscribe('mooring:retry', listener)
    try {
      const client = fixture.client({
        baseUrl: upstream.url,
        headers: { authorization: 'Bearer top-secret' },
        retry: fast,
        hooks: { onRetry: (event) => hooked.push(event) },
      })
      await client.get('/x', { query: { api_key: 'hunter2' } })
    } finally {
      diagnosticsChannel.unsubscribe('mooring:retry', listener)
    }
    expect(hooked.map((e) => [e.attempt, e.reason])).toEqual([
      [1, 'status:503'],
      [2, 'status:504'],
    ])
    expect(published).toEqual(hooked)
    const text = JSON.stringify(published)
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('top-secret')
  })

  it('rejects a wrong retry option with ConfigError naming it', () => {
    expect(() => createClient({ retry: { limit: -1 } })).toThrow(ConfigError)
    expect(() => createClient({ retry: { limit: -1 } })).toThrow(/retry\.limit/)
    expect(() => createClient({ retry: { backoff: { base: 'x' as never } } })).toThrow(/retry\.backoff\.base/)
    expect(() => createClient({ retry: { budget: { ratio: 99 } } })).toThrow(/retry\.budget\.ratio/)
  })
})

describe('the retry budget', () => {
  it('keeps 200 concurrent calls to an always-503 upstream near 1.2x attempts plus the per-second floor', async () => {
    const upstream = await scripted([{ status: 503 }])
    const client = fixture.client({ baseUrl: upstream.url, limits: { connections: 50 }, retry: fast })
    const started = performance.now()
    const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => client.get(`/x/${i}`)))
    const seconds = Math.ceil((performance.now() - started) / 1000)
    expect(responses.every((r) => r.status === 503)).toBe(true)
    const attempts = upstream.requests.length
    // Without the budget this would be 600 (3 attempts each).
    expect(attempts).toBeLessThanOrEqual(200 * 1.2 + 10 * (seconds + 1))
    expect(attempts).toBeGreaterThan(200)
    expect(client.stats().origins[upstream.url].budgetRefusals).toBeGreaterThan(0)
  })
})
