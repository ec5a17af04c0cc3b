import type { MooringClient } from '@mooring/core'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { describe, expectTypeOf, it } from 'vitest'
import { type MooringAccessor, mooring } from '../src/index.js'

describe('@mooring/fastify types', () => {
  it('augments app.mooring and request.http (registrations are found through app.mooring only)', () => {
    // @ts-expect-error no top-level decorator per registration: app.mooring.get(name) finds it
    expectTypeOf<FastifyInstance['http']>().toBeUnknown()
    expectTypeOf<FastifyInstance['mooring']>().toEqualTypeOf<MooringAccessor>()
    expectTypeOf<FastifyRequest['http']>().toEqualTypeOf<MooringClient>()
  })

  it('registers with core options', async () => {
    const app = Fastify()
    await app.register(mooring, { baseUrl: 'http://127.0.0.1:1', scope: 'app' })
    expectTypeOf(app.mooring.current()).toEqualTypeOf<MooringClient>()
    app.get('/', async (request) => {
      expectTypeOf(request.http).toEqualTypeOf<MooringClient>()
      return null
    })
  })

  it('options that must not compile', async () => {
    const app = Fastify()
    // @ts-expect-error scope is 'app' or 'request'
    await app.register(mooring, { scope: 'session' })
    // @ts-expect-error deadline is a number of milliseconds
    await app.register(mooring, { deadline: '8s' })
  })
})
