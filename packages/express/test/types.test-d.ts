import type { MooringClient } from '@mooring/core'
import express, { type Request, type Response } from 'express'
import { describe, expectTypeOf, it } from 'vitest'
import { mooring } from '../src/index.js'

describe('@mooring/express types', () => {
  it('augments req.http and res.locals.http with the client', () => {
    expectTypeOf<Request['http']>().toEqualTypeOf<MooringClient>()
    expectTypeOf<Response['locals']['http']>().toEqualTypeOf<MooringClient>()
  })

  it('takes core options and a literal name, and gives a middleware and current()', () => {
    const billing = mooring({ name: 'billing', baseUrl: 'http://127.0.0.1:1', scope: 'request' })
    expectTypeOf(billing.name).toEqualTypeOf<'billing'>()
    expectTypeOf(billing.current()).toEqualTypeOf<MooringClient>()
    express().use(billing.middleware)
  })

  it('options that must not compile', () => {
    // @ts-expect-error scope is 'app' or 'request'
    mooring({ scope: 'session' })
    // @ts-expect-error propagate is a list of header names
    mooring({ propagate: 'x-request-id' })
    // @ts-expect-error name is a string
    mooring({ name: 1 })
  })
})
