import { ClientClosedError, ConfigError, createClient, type MooringClient, MooringError } from '@mooring/core'
import express, { type ErrorRequestHandler } from 'express'

// The recipe the README gives for a registration under another name: Express's own declaration merging.
declare global {
  namespace Express {
    interface Request {
      billing: MooringClient
      users: MooringClient
    }
  }
}
import { describe, expect, expectTypeOf, it } from 'vitest'
import { waitFor } from '../../core/test/support/async.js'
import { upstream } from '../../core/test/support/fixtures.js'
import { mooring } from '../src/index.js'
import { register, serve } from './support/serve.js'

/** True when the property is not set: undefined, or the accessor's error for a request without it. */
function readsAsUnset(read: () => unknown): boolean {
  try {
    return read() === undefined
  } catch (err) {
    return err instanceof MooringError && err.code === 'MOORING_NOT_BOUND'
  }
}

const reportError: ErrorRequestHandler = (err, _req, res, _next) => {
  res.status(500).json({ name: err.name, code: err.code })
}

describe('several registrations', () => {
  it('reach two upstreams side by side under their own names, in handlers and in services', async () => {
    const billingApi = await upstream()
    const usersApi = await upstream()
    const billing = register({ name: 'billing', baseUrl: billingApi.url, context: true })
    const users = register({ name: 'users', baseUrl: usersApi.url, scope: 'app' })
    expectTypeOf(billing.name).toEqualTypeOf<'billing'>()
    const invoicesOfCurrentUser = async () =>
      (await billing.current().get('/invoices')).json<{ url: string }>()
    const app = express()
    app.use(billing.middleware, users.middleware)
    app.get('/dashboard', async (req, res) => {
      // Typed with no cast, through the declaration merging above.
      expectTypeOf(req.users).toEqualTypeOf<MooringClient>()
      expectTypeOf(billing.current()).toEqualTypeOf<MooringClient>()
      const [me, invoices] = await Promise.all([
        req.users.get('/me').then((r) => r.json<{ url: string }>()),
        invoicesOfCurrentUser(),
      ])
      res.json({
        me: me.url,
        invoices: invoices.url,
        names: [billing.name, users.name],
        locals: res.locals.billing === req.billing && res.locals.users === users.client,
        current: billing.current() === req.billing && users.current() === users.client,
        noDefault: readsAsUnset(() => req.http),
      })
    })
    const served = await serve(app)

    const body = await (await fetch(`${served.url}/dashboard`)).json()

    expect(body).toEqual({
      me: '/me',
      invoices: '/invoices',
      names: ['billing', 'users'],
      locals: true,
      current: true,
      noDefault: true,
    })
    expect(billingApi.requests.map((r) => r.url)).toEqual(['/invoices'])
    expect(usersApi.requests.map((r) => r.url)).toEqual(['/me'])
    await waitFor(() => billing.stats().scopesClosed === 1, 'the billing scope closed')
    expect(users.stats().scopesOpened).toBe(0)
  })

  it('refuses a second open registration under a taken name with a ConfigError, before any request', async () => {
    const api = await upstream()
    const first = register({ baseUrl: api.url })

    const second = () => mooring({ baseUrl: api.url })

    expect(second).toThrow(ConfigError)
    expect(second).toThrow(expect.objectContaining({ option: 'name' }))
    expect(second).toThrow(/a name no other open mooring\(\) registration of @mooring\/express uses/)
    // Free again once the first is closed.
    await first.close()
    const third = register({ baseUrl: api.url })
    expect(third.name).toBe('http')
  })

  it('opens one scope for a request that meets the same middleware twice', async () => {
    const api = await upstream()
    const http = register({ baseUrl: api.url, context: true })
    expectTypeOf(http.name).toEqualTypeOf<'http'>()
    const app = express()
    const router = express.Router()
    router.use(http.middleware)
    router.get('/', (req, res) => {
      // The default name is on Express.Request by declaration merging.
      expectTypeOf(req.http).toEqualTypeOf<MooringClient>()
      expectTypeOf(res.locals.http).toEqualTypeOf<MooringClient>()
      res.json({ same: req.http === http.current() })
    })
    app.use(http.middleware, router)
    const served = await serve(app)

    expect(await (await fetch(served.url)).json()).toEqual({ same: true })
    await waitFor(() => http.stats().scopesClosed === 1, 'the scope closed')
    expect(http.stats().scopesOpened).toBe(1)
  })
})

describe('registration', () => {
  it.each([
    [{ scope: 'session' }, 'scope'],
    [{ name: 'query' }, 'name'],
    [{ name: 'params' }, 'name'],
    [{ name: 'two words' }, 'name'],
    [{ timeout: { total: -1 } }, 'timeout.total'],
    [{ scope: 'app', propagate: ['x-request-id'] }, 'propagate'],
    [{ pool: 'shared', requestLimits: { connections: 1 } }, 'requestLimits'],
    [{ baseUrl: 'ftp://example.test' }, 'baseUrl'],
  ])('fails at creation with a ConfigError naming the option: %j', (options, option) => {
    const create = () => mooring(options as Parameters<typeof mooring>[0])
    expect(create).toThrow(ConfigError)
    expect(create).toThrow(expect.objectContaining({ option }))
  })

  it('uses a given client and leaves it open at close', async () => {
    const api = await upstream()
    const client = createClient({ baseUrl: api.url })
    const http = register({ client, scope: 'app' })
    const app = express()
    app.use(http.middleware)
    app.get('/', async (req, res) => {
      res.json({
        given: req.http === client,
        url: (await (await req.http.get('/given')).json<{ url: string }>()).url,
      })
    })
    const served = await serve(app)

    expect(await (await fetch(served.url)).json()).toEqual({ given: true, url: '/given' })
    await http.close()
    try {
      expect(client.closed).toBe(false)
    } finally {
      await client.close()
    }
  })

  it('answers requests after close() with a ClientClosedError, through the error handlers', async () => {
    const api = await upstream()
    const http = register({ baseUrl: api.url })
    const app = express()
    app.use(http.middleware)
    app.get('/', (_req, res) => {
      res.send('unreachable')
    })
    app.use(reportError)
    const served = await serve(app)
    await http.close()

    const res = await fetch(served.url)

    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ name: ClientClosedError.name, code: 'MOORING_CLIENT_CLOSED' })
  })

  it('req[name] on a route its middleware did not see throws an error naming the missing app.use()', async () => {
    const api = await upstream()
    const http = register({ name: 'billing', baseUrl: api.url })
    const app = express()
    app.get('/', (req, res) => {
      try {
        res.send(req.billing.closed ? 'closed' : 'bound')
      } catch (err) {
        res.json({ error: err instanceof MooringError ? err.code : null, message: (err as Error).message })
      }
    })
    const served = await serve(app)

    const body = await (await fetch(served.url)).json()

    expect(body.error).toBe('MOORING_NOT_BOUND')
    expect(body.message).toContain('app.use(billing.middleware)')
    expect(http.stats().scopesOpened).toBe(0)
  })
})
