import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { mooring } from '@mooring/express'
import express, { type Request, type Response } from 'express'
import { it } from 'vitest'
import { answerRoute, type Route, SOAK_DEFAULTS, soak } from '../../core/test/reliability/support/soak.js'

/** The Fastify soak is the full one; this one runs half as many requests, to keep CI short. */
const HALF = { ...SOAK_DEFAULTS, requests: Math.ceil(SOAK_DEFAULTS.requests / 2) }

it('Express, request scopes: tens of thousands of requests through a faulty upstream, nothing lost or left behind', {
  timeout: 120_000,
}, async () => {
  await soak(
    'express',
    async (options) => {
      const http = mooring(options)
      const app = express()
      app.use(express.json())
      app.use(http.middleware)
      const route = (name: Route) => async (req: Request, res: Response) => {
        const answer = await answerRoute(req.http, name, String(req.headers['x-request-id']), req.body)
        res.status(answer.status).json(answer.body)
      }
      app.get('/item/:n', route('item'))
      app.post('/order', route('order'))
      app.post('/once', route('once'))
      app.get('/slow', route('slow'))
      const server = app.listen(0, '127.0.0.1')
      await once(server, 'listening')
      return {
        base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        stats: () => http.stats(),
        async close() {
          server.closeIdleConnections()
          await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())))
          await http.close()
        },
      }
    },
    HALF,
  )
})
