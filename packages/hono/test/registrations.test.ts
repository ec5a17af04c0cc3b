import { ConfigError, createClient, type MooringClient } from '@mooring/core'
import { type MooringEnv, mooring } from '@mooring/hono'
import { Hono } from 'hono'
import { beforeEach, describe, expect, it } from 'vitest'
import * as fixture from '../../core/test/support/fixtures.js'
import type { Upstream } from '../../core/test/support/upstream.js'
import { register, serveApp } from './support/serve.js'

let users: Upstream
let billing: Upstream

beforeEach(async () => {
  const answer = (service: string) =>
    fixture.upstream((req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ service, url: req.url }))
    })
  users = await answer('users')
  billing = await answer('billing')
})

describe('several registrations', () => {
  it('reach two upstreams side by side, each under its own name and scope', async () => {
    const usersApi = register({ name: 'users', baseUrl: users.url, context: true })
    const billingApi = register({ name: 'billing', baseUrl: billing.url, scope: 'app' })
    const app = new Hono()
      .use(usersApi.middleware)
      .use(billingApi.middleware)
      .get('/summary/:id', async (c) => {
        const id = c.req.param('id')
        // Typed by the registrations' names, no cast.
        const [user, invoices] = await Promise.all([
          c.var.users.get(`/users/${id}`).then((res) => res.json()),
          c.var.billing.get(`/invoices?user=${id}`).then((res) => res.json()),
        ])
        return c.json({
          user,
          invoices,
          current: usersApi.current() === c.var.users && billingApi.current() === billingApi.client,
        })
      })
    const served = await serveApp(app)

    const res = await fetch(`${served.url}/summary/7`)
    expect(await res.json()).toEqual({
      user: { service: 'users', url: '/users/7' },
      invoices: { service: 'billing', url: '/invoices?user=7' },
      current: true,
    })
    expect(users.requests.map((r) => r.url)).toEqual(['/users/7'])
    expect(billing.requests.map((r) => r.url)).toEqual(['/invoices?user=7'])

    await served.close()
    await Promise.all([usersApi.close(), billingApi.close()])
    expect(usersApi.stats()).toMatchObject({ scopesOpened: 1, scopesClosed: 1 })
    expect(billingApi.stats()).toMatchObject({ scopesOpened: 0, scopesClosed: 0 })
    await users.waitForOpen(0)
    await billing.waitForOpen(0)
  })

  it('types c.var through the Env of an app declared up front', async () => {
    const http = register({ baseUrl: users.url })
    const app = new Hono<MooringEnv>()
    app.use(http.middleware)
    app.get('/', async (c) => {
      const client: MooringClient = c.var.http
      // @ts-expect-error only registered names are typed
      void c.var.other
      return c.json(await (await client.get('/typed')).json())
    })
    expect(await (await app.request('/')).json()).toEqual({ service: 'users', url: '/typed' })
    await http.close()
  })
})

describe('options', () => {
  it('fails at registration with a ConfigError naming the option', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ scope: 'global' }, 'scope'],
      [{ name: 'not a name' }, 'name'],
      [{ pool: 'private' }, 'pool'],
      [{ limits: { connections: 0 } }, 'limits.connections'],
      [{ scope: 'app', propagate: ['x-request-id'] }, 'propagate'],
      [{ requestLimits: { connections: 2 } }, 'requestLimits'],
      [{ deadline: -1 }, 'deadline'],
      [{ baseUrl: 'ftp://example.test' }, 'baseUrl'],
    ]
    for (const [options, option] of cases) {
      let error: unknown
      try {
        mooring(options)
      } catch (err) {
        error = err
      }
      expect(error, JSON.stringify(options)).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).option).toBe(option)
    }
  })

  it('uses a given client as the app client, and leaves it open at close()', async () => {
    const client = createClient({ baseUrl: users.url })
    const http = register({ client })
    const app = new Hono()
      .use(http.middleware)
      .get('/', async (c) => c.json(await (await c.var.http.get('/')).json()))
    expect(http.client).toBe(client)
    expect(await (await app.request('/')).json()).toEqual({ service: 'users', url: '/' })
    await http.close()
    expect(client.closed).toBe(false)
    await client.close()
  })
})
