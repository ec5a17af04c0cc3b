import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { mooring } from '@mooring/hono'
import { Hono } from 'hono'
import { it } from 'vitest'
import { answerRoute, type Route, SOAK_DEFAULTS, soak } from '../../core/test/reliability/support/soak.js'

/** The Fastify soak is the full one; this one runs half as many requests, to keep CI short. */
const HALF = { ...SOAK_DEFAULTS, requests: Math.ceil(SOAK_DEFAULTS.requests / 2) }

it('Hono on @hono/node-server, request scopes: tens of thousands of requests through a faulty upstream, nothing lost or left behind', {
  timeout: 120_000,
}, async () => {
  await soak(
    'hono',
    async (options) => {
      const http = mooring(options)
      const app = new Hono().use(http.middleware)
      const routes: Array<['get' | 'post', string, Route]> = [
        ['get', '/item/:n', 'item'],
        ['post', '/order', 'order'],
        ['post', '/once', 'once'],
        ['get', '/slow', 'slow'],
      ]
      for (const [method, path, name] of routes) {
        app[method](path, async (c) => {
          const body = method === 'post' ? await c.req.json() : undefined
          const answer = await answerRoute(c.var.http, name, c.req.header('x-request-id') ?? '', body)
          return c.json(answer.body as object, answer.status as 200)
        })
      }
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
      if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))
      return {
        base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        stats: () => http.stats(),
        async close() {
          await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())))
          await http.close()
        },
      }
    },
    HALF,
  )
})
