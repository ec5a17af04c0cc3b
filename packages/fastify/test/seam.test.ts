import { ConfigError } from '@mooring/core'
import * as plugin from '@mooring/fastify'
import { describe, expect, it } from 'vitest'
import { expectCoreReExports, expectPluginSurface } from '../../core/test/support/plugin-seam.js'
import { fastify } from './support/http.js'

const UPSTREAM = 'http://127.0.0.1:9'

describe('the plugin seam in Fastify', () => {
  it('shows the one registration surface through app.mooring, and re-exports the core names', async () => {
    const app = fastify()
    await app.register(plugin.mooring, { baseUrl: UPSTREAM })
    expectPluginSurface(app.mooring.get(), false)
    expect(app.mooring.get()).toBeInstanceOf(plugin.FastifyMooring)
    expectCoreReExports(plugin)
  })

  it('refuses a second registration of a name with a ConfigError at registration', async () => {
    const app = fastify()
    await app.register(plugin.mooring, { baseUrl: UPSTREAM })
    const err = await app.register(plugin.mooring, { baseUrl: 'http://127.0.0.1:10' }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ConfigError)
    expect(err).toMatchObject({ option: 'name' })
  })
})
