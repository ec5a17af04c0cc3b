import { ConfigError } from '@mooring/core'
import * as plugin from '@mooring/express'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { upstream } from '../../core/test/support/fixtures.js'
import { expectCoreReExports, expectPluginSurface } from '../../core/test/support/plugin-seam.js'
import { register, serve } from './support/serve.js'

const UPSTREAM = 'http://127.0.0.1:9'

describe('the plugin seam in Express', () => {
  it('shows the one registration surface and a middleware, and re-exports the core names', () => {
    const http = register({ baseUrl: UPSTREAM })
    expectPluginSurface(http, false)
    expect(typeof http.middleware).toBe('function')
    expectCoreReExports(plugin)
  })

  it('gives req.http in a sub-app mounted under the middleware', async () => {
    const api = await upstream()
    const http = register({ baseUrl: api.url, context: true })
    const sub = express()
    sub.get('/x', async (req, res) => {
      res.json({
        current: req.http === http.current(),
        url: (await (await req.http.get('/y')).json<{ url: string }>()).url,
      })
    })
    const app = express()
    app.use(http.middleware)
    app.use('/sub', sub)
    const served = await serve(app)

    expect(await (await fetch(`${served.url}/sub/x`)).json()).toEqual({ current: true, url: '/y' })
  })

  it('refuses a second open registration of a name with a ConfigError at registration', () => {
    register({ baseUrl: UPSTREAM })
    const again = () => plugin.mooring({ baseUrl: UPSTREAM })
    expect(again).toThrow(ConfigError)
    expect(again).toThrow(expect.objectContaining({ option: 'name' }))
    expect(register({ name: 'billing', baseUrl: UPSTREAM }).name).toBe('billing')
  })
})
