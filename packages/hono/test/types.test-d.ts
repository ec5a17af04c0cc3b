import type { MooringClient } from '@mooring/core'
import { Hono } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import { type MooringEnv, mooring } from '../src/index.js'

describe('@mooring/hono types', () => {
  it('types c.var.http through the middleware', () => {
    const http = mooring({ baseUrl: 'http://127.0.0.1:1' })
    new Hono().use(http.middleware).get('/', (c) => {
      expectTypeOf(c.var.http).toEqualTypeOf<MooringClient>()
      expectTypeOf(c.get('http')).toEqualTypeOf<MooringClient>()
      return c.text('ok')
    })
  })

  it('types a named registration by its name', () => {
    const billing = mooring({ name: 'billing', baseUrl: 'http://127.0.0.1:1' })
    new Hono<MooringEnv<'billing'>>().use(billing.middleware).get('/', (c) => {
      expectTypeOf(c.var.billing).toEqualTypeOf<MooringClient>()
      // @ts-expect-error no registration is named http here
      c.var.http
      return c.text('ok')
    })
  })

  it('options that must not compile', () => {
    // @ts-expect-error scope is 'app' or 'request'
    mooring({ scope: 'session' })
    // @ts-expect-error pool is 'shared' or 'isolated'
    mooring({ pool: 'per-request' })
  })
})
