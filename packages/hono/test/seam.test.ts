import { ConfigError, type MooringClient } from '@mooring/core'
import * as plugin from '@mooring/hono'
import { Hono } from 'hono'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { expectCoreReExports, expectPluginSurface } from '../../core/test/support/plugin-seam.js'
import { register } from './support/serve.js'

const UPSTREAM = 'http://127.0.0.1:9'

describe('the plugin seam in hono', () => {
  it('shows the one registration surface and a middleware, and re-exports the core names', () => {
    const http = register({ baseUrl: UPSTREAM })
    expectPluginSurface(http, false)
    expect(typeof http.middleware).toBe('function')
    expectCoreReExports(plugin)
  })

  it('refuses a second open registration of a name with a ConfigError at registration', () => {
    register({ baseUrl: UPSTREAM })
    const again = () => plugin.mooring({ baseUrl: UPSTREAM })
    expect(again).toThrow(ConfigError)
    expect(again).toThrow(expect.objectContaining({ option: 'name' }))
  })

  it('finds and types a named registration through the app Variables', async () => {
    const http = register({ scope: 'app', baseUrl: UPSTREAM })
    const billing = register({ name: 'billing', scope: 'app', baseUrl: UPSTREAM })
    const app = new Hono<plugin.MooringEnv<'http' | 'billing'>>()
      .use(http.middleware)
      .use(billing.middleware)
      .get('/', (c) => {
        expectTypeOf(c.var.billing).toEqualTypeOf<MooringClient>()
        return c.json({ billing: c.var.billing === billing.client, http: c.var.http === http.client })
      })

    expect(await (await app.request('/')).json()).toEqual({ billing: true, http: true })
  })
})
