import { ConfigError } from '@mooring/core'
import express from 'express'
import { describe, expect, it } from 'vitest'
import * as fixture from '../../core/test/support/fixtures.js'
import { mooring } from '../src/index.js'
import { register, serve } from './support/serve.js'

describe('context: false', () => {
  it('gives each request its own scope on req.http, releases it, and leaves current() the app client', async () => {
    const upstream = await fixture.hanging()
    const registration = register({ baseUrl: upstream.url, context: false })
    const app = express()
    // Mounted twice (app and route): the request keeps its client, with no context to compare.
    app.use(registration.middleware)
    app.get('/one', registration.middleware, async (req, res) => {
      const body = await (await req.http.get('/echo')).json<{ url: string }>()
      res.json({
        url: body.url,
        scoped: req.http !== registration.client,
        current: registration.current() === registration.client,
      })
    })
    const served = await serve(app)

    const results = await Promise.all(
      Array.from({ length: 5 }, async () => (await fetch(`${served.url}/one`)).json()),
    )

    expect(results).toEqual(Array.from({ length: 5 }, () => ({ url: '/echo', scoped: true, current: true })))
    // Released on each response's close (one shared listener): every scope opened is closed.
    await expect.poll(() => registration.stats()).toMatchObject({ scopesOpened: 5, scopesClosed: 5 })
  })

  it('refuses a context that is not a boolean, naming the option', () => {
    expect(() => mooring({ context: 'yes' as unknown as boolean })).toThrow(ConfigError)
    expect(() => mooring({ context: 'yes' as unknown as boolean })).toThrow(/context/)
  })
})
