// `pnpm start` in this folder: the app on PORT (default 3000), sharing its state through REDIS_URL
// when set (`REDIS_URL=redis://127.0.0.1:6379`), in memory otherwise. PAYMENTS_URL: the payments API.
import { once } from 'node:events'
import { createApp } from './app.js'

const { app, http, store } = createApp({
  paymentsUrl: process.env.PAYMENTS_URL ?? 'http://127.0.0.1:4010',
  redisUrl: process.env.REDIS_URL || undefined,
})
const server = http.closeWith(app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1'))
await once(server, 'listening')
console.log(
  `redis example on port ${process.env.PORT ?? 3000}, state ${process.env.REDIS_URL ? 'in Redis' : 'in memory'}`,
)
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  // closeWith closes the HTTP client with the server; the store's connection goes after it.
  process.once(signal, () => server.close(() => void store.close()))
}
