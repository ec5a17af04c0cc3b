import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import {
  DUPLICATE_HEADER,
  expressWebhookGuard,
  fastifyWebhookGuard,
  honoWebhookGuard,
  memoryStore,
  RedisStoreConfigError,
  redisStore,
  type SharedStore,
} from '@mooring/redis'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, redisSkipReason, startRedisServer } from './support/redis-server.js'

const skip = redisSkipReason()
let server: RedisServer | undefined
const stores: SharedStore[] = []
beforeAll(async () => {
  if (!skip) server = await startRedisServer()
})
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()))
  await server?.stop()
})
let prefixes = 0
const storeOf = (kind: 'memory' | 'redis') => {
  const store =
    kind === 'memory'
      ? memoryStore()
      : redisStore({
          url: (server as RedisServer).url,
          prefix: `${(server as RedisServer).prefix}wh${++prefixes}:`,
        })
  stores.push(store)
  return store
}

/** What a framework app answers to one delivery. */
type Send = (
  body: { id: string },
  headers?: Record<string, string>,
) => Promise<{ status: number; duplicate: boolean; text: string }>

/** The same three deliveries through any framework: first, repeat, failing-then-retried. */
async function deliveries(send: Send, handled: string[]) {
  const first = await send({ id: 'evt_1' })
  const repeat = await send({ id: 'evt_1' })
  const failing = await send({ id: 'evt_fail' })
  const retried = await send({ id: 'evt_fail' })
  const missing = await send({ id: '' })
  expect(first).toEqual({ status: 201, duplicate: false, text: 'charged evt_1' })
  expect(repeat).toEqual({ status: 201, duplicate: true, text: '' })
  expect(failing.status).toBe(500)
  expect(retried).toEqual({ status: 201, duplicate: false, text: 'charged evt_fail' })
  expect(missing.status).toBe(400)
  expect(missing.text).toContain('webhookGuard: the delivery has no body field id')
  expect(handled).toEqual(['evt_1', 'evt_fail', 'evt_fail'])
}

const kinds = skip ? (['memory'] as const) : (['memory', 'redis'] as const)

describe.each(kinds)('webhook guards (%s)', (kind) => {
  it('Express: a repeated delivery gets the first status without running the handler', async () => {
    const handled: string[] = []
    let failOnce = true
    const app = express()
    app.post(
      '/hook',
      express.json(),
      expressWebhookGuard({ store: storeOf(kind), key: { body: 'id' } }),
      (req: express.Request, res: express.Response) => {
        handled.push(req.body.id)
        if (req.body.id === 'evt_fail' && failOnce) {
          failOnce = false
          throw new Error('CRM down')
        }
        res.status(201).send(`charged ${req.body.id}`)
      },
    )
    // Express logs the thrown error; keep the test output to what it asserts.
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send('failed')
    })
    const listening = app.listen(0, '127.0.0.1')
    await once(listening, 'listening')
    const origin = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`
    try {
      await deliveries(async (body) => {
        const response = await fetch(`${origin}/hook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
        return {
          status: response.status,
          duplicate: response.headers.get(DUPLICATE_HEADER) === 'true',
          text: await response.text(),
        }
      }, handled)
    } finally {
      listening.closeAllConnections()
      await new Promise((resolve) => listening.close(resolve))
    }
  })

  it('Fastify: the same through route hooks', async () => {
    const handled: string[] = []
    let failOnce = true
    const app = Fastify()
    app.post<{ Body: { id: string } }>(
      '/hook',
      { ...fastifyWebhookGuard({ store: storeOf(kind), key: { body: 'id' } }) },
      async (req, reply) => {
        handled.push(req.body.id)
        if (req.body.id === 'evt_fail' && failOnce) {
          failOnce = false
          throw new Error('CRM down')
        }
        return reply.code(201).send(`charged ${req.body.id}`)
      },
    )
    try {
      await deliveries(async (body) => {
        const response = await app.inject({ method: 'POST', url: '/hook', payload: body })
        return {
          status: response.statusCode,
          duplicate: response.headers[DUPLICATE_HEADER] === 'true',
          text: response.body,
        }
      }, handled)
    } finally {
      await app.close()
    }
  })

  it('Hono: the same as middleware, the handler still reading the body', async () => {
    const handled: string[] = []
    let failOnce = true
    const app = new Hono()
    app.onError((_error, c) => c.text('failed', 500))
    app.post('/hook', honoWebhookGuard({ store: storeOf(kind), key: { body: 'id' } }), async (c) => {
      const { id } = await c.req.json<{ id: string }>()
      handled.push(id)
      if (id === 'evt_fail' && failOnce) {
        failOnce = false
        throw new Error('CRM down')
      }
      return c.text(`charged ${id}`, 201)
    })
    await deliveries(async (body) => {
      const response = await app.request('/hook', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      return {
        status: response.status,
        duplicate: response.headers.get(DUPLICATE_HEADER) === 'true',
        text: await response.text(),
      }
    }, handled)
  })
})

describe('webhook guard keys and options', () => {
  it('reads a header, and names a bad key option', async () => {
    const handled: string[] = []
    const app = new Hono()
    app.post(
      '/hook',
      honoWebhookGuard({ store: memoryStore(), key: { header: 'X-GitHub-Delivery' } }),
      (c) => {
        handled.push(c.req.header('x-github-delivery') ?? '')
        return c.text('ok')
      },
    )
    const send = (id: string) =>
      app.request('/hook', { method: 'POST', headers: { 'x-github-delivery': id } })
    expect((await send('d-1')).status).toBe(200)
    expect((await send('d-1')).headers.get(DUPLICATE_HEADER)).toBe('true')
    expect(handled).toEqual(['d-1'])
    expect(() => honoWebhookGuard({ store: memoryStore(), key: { field: 'id' } as never })).toThrow(
      RedisStoreConfigError,
    )
    expect(() => honoWebhookGuard({ store: {} as never, key: { body: 'id' } })).toThrow(
      /options\.store must be a store/,
    )
  })
})
