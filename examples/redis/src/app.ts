import { mooring } from '@mooring/express'
import { expressWebhookGuard, memoryStore, redisStore, type SharedStore } from '@mooring/redis'
import express, { type Express } from 'express'

export interface AppOptions {
  /** The payments API the webhook handler calls (a fake one in tests). */
  paymentsUrl: string
  /** Redis to share state with the other instances; none: in memory, this instance only. */
  redisUrl?: string
  /** The registration's name (two instances in one test process need two). Default `http`. */
  name?: string
}

export function createApp({ paymentsUrl, redisUrl, name }: AppOptions) {
  // #region app
  // One option switches every instance to shared state; without it, the same API in memory.
  const store: SharedStore = redisUrl ? redisStore({ url: redisUrl }) : memoryStore()
  // context: true, so http.current() finds the request's client (off by default: req[name] needs none).
  const http = mooring({ name, baseUrl: paymentsUrl, timeout: { total: 5_000 }, context: true })

  const app: Express = express()
  app.use(http.middleware)
  // A provider delivers each event at least once: the guard runs the handler once per event id,
  // across every instance sharing the store; a repeat gets 200 with `mooring-duplicate: true`.
  app.post(
    '/webhooks/orders',
    express.json(),
    expressWebhookGuard({ store, key: { body: 'id' }, ttl: 7 * 24 * 3600_000 }),
    async (req: express.Request, res: express.Response) => {
      const event = req.body as { id: string; order: string }
      // The event id is also the Idempotency-Key: if this instance dies mid-call and the provider
      // retries on another, the payments API answers the first charge instead of making a second.
      const charge = await http.current().post('/charges', {
        headers: { 'idempotency-key': event.id },
        json: { order: event.order },
      })
      res.status(200).json({ charge: ((await charge.json()) as { id: string }).id })
    },
  )
  // #endregion app
  return {
    app,
    http,
    store,
    /** At shutdown: the HTTP client, then the store's Redis connection. */
    async close() {
      await http.close()
      await store.close()
    },
  }
}
