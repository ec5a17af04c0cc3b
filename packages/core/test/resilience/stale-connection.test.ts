import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { Pool } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConnectionError, createClient, type MooringClient } from '../../src/index.js'
import { startUpstream, type Upstream } from '../support/upstream.js'

/**
 * An upstream that answers the first request on each connection with keep-alive, then drops the
 * connection the moment a second request arrives on it, before answering: the race of a server
 * closing an idle keep-alive connection just as the client reuses it.
 */
function dropReused(how: 'close' | 'reset' = 'close'): (req: IncomingMessage, res: ServerResponse) => void {
  const served = new WeakMap<Socket, number>()
  return (req, res) => {
    const n = (served.get(req.socket) ?? 0) + 1
    served.set(req.socket, n)
    if (n > 1) {
      if (how === 'reset') req.socket.resetAndDestroy()
      else req.socket.destroy()
      return
    }
    req.resume()
    req.on('end', () => res.end(JSON.stringify({ ok: true, key: req.headers['idempotency-key'] ?? null })))
  }
}

let upstream: Upstream
let client: MooringClient

beforeEach(async () => {
  upstream = await startUpstream(dropReused())
})
afterEach(async () => {
  await client?.close()
  await upstream.close()
})

describe('a reused keep-alive connection the server already closed', () => {
  it('fails plain undici on reuse, side by side', async () => {
    const pool = new Pool(upstream.url, { connections: 1 })
    try {
      const first = await pool.request({ path: '/a', method: 'GET' })
      await first.body.text()
      await expect(pool.request({ path: '/b', method: 'GET' })).rejects.toMatchObject({
        code: 'UND_ERR_SOCKET',
      })
    } finally {
      await pool.destroy()
    }
  })

  it('is replayed once on a fresh connection for idempotent requests, even with retries off', async () => {
    client = createClient({ baseUrl: upstream.url, limits: { connections: 1 }, retry: false })
    const attempts: number[] = []
    for (let i = 0; i < 10; i++) {
      const res = await client.get(`/item/${i}`)
      expect(res.status).toBe(200)
      await res.json()
      attempts.push(res.attempts)
      if (res.attempts === 2)
        expect(res.retries).toEqual([{ attempt: 1, reason: 'stale-connection', delay: 0 }])
    }
    expect(attempts[0]).toBe(1)
    // Every later call met a dropped connection and was replayed once.
    expect(attempts.slice(1).every((a) => a === 2)).toBe(true)
    expect(client.stats().origins[upstream.url].retries['stale-connection']).toBe(9)
  })

  it('is replayed after a TCP reset (ECONNRESET) on a reused connection too', async () => {
    await upstream.close()
    upstream = await startUpstream(dropReused('reset'))
    client = createClient({ baseUrl: upstream.url, limits: { connections: 1 }, retry: false })
    for (let i = 0; i < 5; i++) {
      const res = await client.get(`/item/${i}`)
      expect(await res.json()).toMatchObject({ ok: true })
      expect(res.attempts).toBe(i === 0 ? 1 : 2)
    }
  })

  it('does not replay a POST without an Idempotency-Key: it fails with delivery "maybe"', async () => {
    client = createClient({ baseUrl: upstream.url, limits: { connections: 1 } })
    await (await client.get('/warm')).text()
    const before = upstream.requests.length
    const error = await client.post('/orders', { json: { item: 1 } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error).toMatchObject({ delivery: 'maybe', attempts: 1, causeCode: 'UND_ERR_SOCKET' })
    // The server saw the request once, on the reused connection, and no replay.
    expect(upstream.requests.length - before).toBe(1)
  })

  it('replays a POST that carries an Idempotency-Key, with the same key', async () => {
    client = createClient({ baseUrl: upstream.url, limits: { connections: 1 } })
    await (await client.get('/warm')).text()
    const res = await client.post('/orders', {
      json: { item: 1 },
      headers: { 'idempotency-key': 'order-42' },
    })
    expect(res.status).toBe(200)
    expect(res.attempts).toBe(2)
    expect(await res.json()).toEqual({ ok: true, key: 'order-42' })
    const posts = upstream.requests.filter((r) => r.method === 'POST')
    expect(posts.map((r) => r.headers['idempotency-key'])).toEqual(['order-42', 'order-42'])
  })

  it('does not replay a one-shot stream body', async () => {
    client = createClient({ baseUrl: upstream.url, limits: { connections: 1 } })
    await (await client.get('/warm')).text()
    async function* once() {
      yield Buffer.from('chunk')
    }
    const error = await client
      .put('/upload', { body: once(), headers: { 'content-type': 'text/plain' } })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error).toMatchObject({ attempts: 1 })
  })
})
