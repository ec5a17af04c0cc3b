import { ConfigError } from '@mooring/core'
import * as plugin from '@mooring/express'
import { describe, expect, it } from 'vitest'
import { expectCoreReExports, expectPluginSurface } from '../../core/test/support/plugin-seam.js'
import { register } from './support/serve.js'

const UPSTREAM = 'http://127.0.0.1:9'

describe('the plugin seam in Express', () => {
  it('shows the one registration surface and a middleware, and re-exports the core names', () => {
    const http = register({ baseUrl: UPSTREAM })
    expectPluginSurface(http)
    expect(typeof http.middleware).toBe('function')
    expectCoreReExports(plugin)
  })

  it('refuses a second open registration of a name with a ConfigError at registration', () => {
    register({ baseUrl: UPSTREAM })
    const again = () => plugin.mooring({ baseUrl: UPSTREAM })
    expect(again).toThrow(ConfigError)
    expect(again).toThrow(expect.objectContaining({ option: 'name' }))
    expect(register({ name: 'billing', baseUrl: UPSTREAM }).name).toBe('billing')
  })
})
