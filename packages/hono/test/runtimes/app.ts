// The Hono app every runtime serves in runtimes.test.ts: one route per thing checked, each
// answering JSON the test asserts on. Bundled from the sources by the test, for each runtime.
import { ConfigError, createClient, type MooringClient, MooringError } from '@mooring/core'
import { mooring } from '@mooring/hono'
import { Hono } from 'hono'

export function makeApp(upstream: string) {
  const http = mooring({
    baseUrl: upstream,
    propagate: ['x-request-id'],
    retry: { backoff: { base: 1, max: 5 } },
  })
  const tight = mooring({ name: 'tight', baseUrl: upstream, deadline: 200 })
  let lastScope: MooringClient | null = null

  const describe = (err: unknown) =>
    err instanceof MooringError
      ? { name: err.name, code: err.code, ...pick(err, ['phase', 'delivery', 'causeCode', 'attempts']) }
      : { name: String((err as Error)?.name), message: String((err as Error)?.message) }

  return new Hono()
    .get('/stats', (c) =>
      c.json({ http: http.stats(), tight: tight.stats(), lastScopeClosed: lastScope?.closed ?? null }),
    )
    .get('/config', (c) => {
      try {
        const client = createClient({ baseUrl: upstream, limits: { connections: 2 } })
        void client.close()
        return c.json({ error: null })
      } catch (err) {
        return c.json({ error: err instanceof ConfigError ? err.message : String(err) })
      }
    })
    .get('/close', async (c) => {
      // An app client of its own, closed: close() resolves, and the client refuses calls after.
      const client = createClient({ baseUrl: upstream })
      await (await client.get('/echo')).text()
      await client.close()
      const after = await client.get('/echo').then(
        () => null,
        (err: unknown) => describe(err).name,
      )
      return c.json({ closed: client.closed, after })
    })
    .get('/refused', async (c) => {
      // Nothing listens there: a POST that was never sent may be retried, and says so.
      const client = createClient({
        baseUrl: `http://127.0.0.1:${c.req.query('port')}`,
        retry: { limit: 1, backoff: { base: 1, max: 2 } },
      })
      const error = await client.post('/x', { json: {} }).then(
        () => null,
        (err: unknown) => describe(err),
      )
      await client.close()
      return c.json({ error })
    })
    .get('/deadline', tight.middleware, async (c) => {
      lastScope = c.var.tight
      try {
        await c.var.tight.get('/slow')
        return c.json({ error: null })
      } catch (err) {
        return c.json({ error: describe(err) })
      }
    })
    .use('/api/*', http.middleware)
    .get('/api/call', async (c) => {
      lastScope = c.var.http
      const response = await c.var.http.get('/echo')
      return c.json({ status: response.status, upstream: await response.json() })
    })
    .get('/api/retry', async (c) => {
      const response = await c.var.http.get('/flaky', { query: { key: c.req.query('key') } })
      return c.json({ status: response.status, attempts: response.attempts, body: await response.text() })
    })
    .get('/api/hang', async (c) => {
      try {
        // Bounded, so the call ends by itself where the runtime does not say the caller went away.
        await c.var.http.get('/hang', { query: { key: c.req.query('key') }, timeout: { total: 3_000 } })
        return c.text('answered')
      } catch (err) {
        return c.json({ error: describe(err) })
      }
    })
}

function pick(source: object, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of keys) if (key in source) out[key] = (source as Record<string, unknown>)[key]
  return out
}
