import { once } from 'node:events'
import { ConfigError } from '@mooring/core'
import { mooring } from '@mooring/express'
import { mooring as mooringFastify } from '@mooring/fastify'
import { redisStore, type SharedStore, StoreUnavailableError } from '@mooring/redis'
import express from 'express'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, redisSkipReason, startRedisServer } from './support/redis-server.js'

const skip = redisSkipReason()

/** Closed: its connection is gone, so a guarded side effect is refused (failMode 'closed') at once. */
async function isClosed(store: SharedStore): Promise<boolean> {
  const outcome = await store
    .once('probe', { failMode: 'closed' }, () => 'ran')
    .catch((error: unknown) => error)
  return outcome instanceof StoreUnavailableError
}

describe.skipIf(skip)('a registration closes its stores at shutdown', () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.stop()
  })
  const open = () => redisStore({ url: server.url, prefix: `${server.prefix}shutdown:`, log: () => {} })

  it('Express: closeWith(server) closes the client, then the store', async () => {
    const store = open()
    const http = mooring({ baseUrl: 'http://127.0.0.1:1', stores: [store] })
    const app = express()
    app.use(http.middleware)
    const listening = http.closeWith(app.listen(0, '127.0.0.1'))
    await once(listening, 'listening')
    expect(await isClosed(store)).toBe(false)
    await new Promise((resolve) => listening.close(resolve))
    await http.close() // the same shutdown closeWith started: resolves once it is done
    expect(await isClosed(store)).toBe(true)
  })

  it('Fastify: app.close() closes the store after the client', async () => {
    const store = open()
    const app = Fastify()
    await app.register(mooringFastify, { baseUrl: 'http://127.0.0.1:1', stores: [store] })
    await app.ready()
    expect(await isClosed(store)).toBe(false)
    await app.close()
    expect(await isClosed(store)).toBe(true)
  })

  it('refuses a store without close(), naming the option', () => {
    expect(() => mooring({ name: 'bad', stores: [{}] as never })).toThrow(ConfigError)
    expect(() => mooring({ name: 'bad', stores: [{}] as never })).toThrow(/stores/)
  })
})
