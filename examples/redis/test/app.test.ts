import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type RedisServer,
  redisSkipReason,
  startRedisServer,
} from '../../../packages/redis/test/support/redis-server.js'
import { createApp } from '../src/app.js'

const skip = redisSkipReason()

/** A payments API with Stripe-like idempotency: the same key answers the same charge. */
let payments: Server
let paymentsUrl: string
const charges = new Map<string, string>()
let chargeCalls = 0
let redis: RedisServer | undefined

beforeAll(async () => {
  payments = createServer((req, res) => {
    chargeCalls++
    const key = String(req.headers['idempotency-key'])
    if (!charges.has(key)) charges.set(key, `ch_${charges.size + 1}`)
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ id: charges.get(key) }))
  })
  payments.listen(0, '127.0.0.1')
  await once(payments, 'listening')
  paymentsUrl = `http://127.0.0.1:${(payments.address() as AddressInfo).port}`
  if (!skip) redis = await startRedisServer()
})
afterAll(async () => {
  payments.closeAllConnections()
  payments.close()
  await redis?.stop()
})

/** Starts one instance of the app on a port of 127.0.0.1. */
async function instance(redisUrl?: string, name?: string) {
  const created = createApp({ paymentsUrl, redisUrl, name })
  const server = created.app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const deliver = async (id: string) => {
    const response = await fetch(`${url}/webhooks/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id, order: 'o-1' }),
    })
    return {
      status: response.status,
      duplicate: response.headers.get('mooring-duplicate'),
      body: await response.text(),
    }
  }
  return {
    deliver,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await created.close()
    },
  }
}

describe('example-redis', () => {
  it('in memory (no REDIS_URL): one instance handles a delivery once', async () => {
    const app = await instance()
    try {
      const before = chargeCalls
      expect(await app.deliver('evt_mem')).toEqual({
        status: 200,
        duplicate: null,
        body: '{"charge":"ch_1"}',
      })
      expect(await app.deliver('evt_mem')).toEqual({ status: 200, duplicate: 'true', body: '' })
      expect(chargeCalls - before).toBe(1)
    } finally {
      await app.close()
    }
  })

  it.skipIf(skip)(
    'with REDIS_URL: a delivery repeated to another instance is not handled again',
    async () => {
      const url = (redis as RedisServer).url
      const [a, b] = await Promise.all([instance(url, 'httpA'), instance(url, 'httpB')])
      // Unique per run: REDIS_URL may be a Redis that outlives the test.
      const id = `evt_shared_${Date.now()}`
      try {
        const before = chargeCalls
        const first = await a.deliver(id)
        expect(first.status).toBe(200)
        expect(await b.deliver(id)).toEqual({ status: 200, duplicate: 'true', body: '' })
        expect(chargeCalls - before).toBe(1)
      } finally {
        await Promise.all([a.close(), b.close()])
      }
    },
  )
})
