import { ConfigError, type MooringClient } from '@mooring/core'
import { mooring } from '@mooring/fastify'
import Fastify, { type FastifyRequest } from 'fastify'
import { describe, expect, expectTypeOf, it } from 'vitest'
import * as fixture from '../../core/test/support/fixtures.js'
import { getJson } from '../../core/test/support/http.js'
import { fastify, listen } from './support/http.js'

// How an app types a registration with a name of its own (found with app.mooring.get(name)).
declare module 'fastify' {
  interface FastifyRequest {
    users: MooringClient
    billing: MooringClient
  }
}

describe('several registrations', () => {
  it('reach two upstreams side by side under two names', async () => {
    const [usersApi, billingApi] = await Promise.all([fixture.upstream(), fixture.upstream()])
    const app = fastify()
    await app.register(mooring, {
      name: 'users',
      baseUrl: usersApi.url,
      propagate: ['x-request-id'],
      context: true,
    })
    await app.register(mooring, { name: 'billing', baseUrl: billingApi.url, scope: 'app' })
    app.get('/account/:id', async (request) => {
      const { id } = request.params as { id: string }
      const [user, invoices] = await Promise.all([
        request.users.get(`/users/${id}`).then((r) => r.json<{ url: string }>()),
        app.mooring
          .current('billing')
          .get(`/invoices/${id}`)
          .then((r) => r.json<{ url: string }>()),
      ])
      return {
        user: user.url,
        invoices: invoices.url,
        usersScoped:
          app.mooring.current('users') === request.users && request.users !== app.mooring.get('users').client,
        billingShared: request.billing === app.mooring.get('billing').client,
      }
    })
    const base = await listen(app)

    const { status, body } = await getJson(`${base}/account/7`, { headers: { 'x-request-id': 'r-7' } })

    expect(status).toBe(200)
    expect(body).toEqual({
      user: '/users/7',
      invoices: '/invoices/7',
      usersScoped: true,
      billingShared: true,
    })
    expect(usersApi.requests.map((r) => r.url)).toEqual(['/users/7'])
    expect(usersApi.requests[0].headers['x-request-id']).toBe('r-7')
    expect(billingApi.requests.map((r) => r.url)).toEqual(['/invoices/7'])
    expect(billingApi.requests[0].headers['x-request-id']).toBeUndefined()
    expect(app.mooring.names()).toEqual(['users', 'billing'])
    // One way to find them: the accessor, not instance decorators beside it.
    expect(app.hasDecorator('users') || app.hasDecorator('billing')).toBe(false)
    expectTypeOf(app.mooring.get('users').name).toEqualTypeOf<'users'>()
    expectTypeOf<FastifyRequest['users']>().toEqualTypeOf<MooringClient>()

    const clients = [app.mooring.get('users').client, app.mooring.get('billing').client]
    await app.close()
    expect(clients.every((client) => client.closed)).toBe(true)
    await Promise.all([usersApi.waitForOpen(0), billingApi.waitForOpen(0)])
  })

  it('gives an encapsulated context its own accessor over its parent’s', async () => {
    const [rootApi, childApi] = await Promise.all([fixture.upstream(), fixture.upstream()])
    const app = fastify()
    await app.register(mooring, { baseUrl: rootApi.url, context: true })
    let childSees: string[] = []
    await app.register(async (child) => {
      await child.register(mooring, { name: 'users', baseUrl: childApi.url })
      childSees = child.mooring.names()
      child.get('/child', async (request) => ({
        users: (await request.users.get('/u').then((r) => r.json<{ url: string }>())).url,
        http: (
          await child.mooring
            .current()
            .get('/h')
            .then((r) => r.json<{ url: string }>())
        ).url,
      }))
    })
    const base = await listen(app)

    expect(childSees).toEqual(['http', 'users'])
    expect(app.mooring.names()).toEqual(['http'])
    expect((await getJson(`${base}/child`)).body).toEqual({ users: '/u', http: '/h' })
    expect(childApi.requests).toHaveLength(1)
    expect(rootApi.requests).toHaveLength(1)
  })
})

describe('registration errors', () => {
  it('rejects a name already taken, and a wrong option, with a ConfigError at startup', async () => {
    const app = fastify()
    await app.register(mooring, { baseUrl: 'http://127.0.0.1:9' })
    await expect(app.register(mooring, { baseUrl: 'http://127.0.0.1:9' })).rejects.toMatchObject({
      name: 'ConfigError',
      option: 'name',
    })

    for (const [options, option] of [
      [{ name: 'log' }, 'name'],
      [{ name: 'mooring' }, 'name'],
      [{ name: 'not a name' }, 'name'],
      [{ scope: 'session' }, 'scope'],
      [{ limits: { connections: 0 } }, 'limits.connections'],
      [{ scope: 'app', deadline: 100 }, 'deadline'],
      [{ requestLimits: { connections: 1 } }, 'requestLimits'],
    ] as const) {
      const broken = Fastify()
      const err = await broken.register(mooring, options as never).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).option).toBe(option)
      await broken.close()
    }
  })
})
