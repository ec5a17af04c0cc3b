import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigError } from '@mooring/core'
import express from 'express'
import { describe, expect, it } from 'vitest'
import * as fixture from '../../core/test/support/fixtures.js'
import { mooring } from '../src/index.js'
import { register, serve } from './support/serve.js'

/** What current() throws in request scope with the context off: the option, its value, what to do. */
const CONTEXT_OFF =
  /context: expected true on the registration to use current\(\) in request scope, or read the request's client from req\.http, got false/

describe('the context, off by default', () => {
  it('gives each request its own scope on req.http, and current() throws naming `context`, in a request and out', async () => {
    const upstream = await fixture.hanging()
    const registration = register({ baseUrl: upstream.url })
    const app = express()
    // Mounted twice (app and route): the request keeps its client, with no context to compare.
    app.use(registration.middleware)
    app.get('/one', registration.middleware, async (req, res) => {
      const body = await (await req.http.get('/echo')).json<{ url: string }>()
      let thrown: unknown
      try {
        registration.current()
      } catch (err) {
        thrown = err
      }
      res.json({
        url: body.url,
        scoped: req.http !== registration.client && res.locals.http === req.http,
        current:
          thrown instanceof ConfigError && thrown.option === 'context' && CONTEXT_OFF.test(thrown.message),
      })
    })
    const served = await serve(app)

    const results = await Promise.all(
      Array.from({ length: 5 }, async () => (await fetch(`${served.url}/one`)).json()),
    )

    expect(results).toEqual(Array.from({ length: 5 }, () => ({ url: '/echo', scoped: true, current: true })))
    expect(() => registration.current()).toThrow(ConfigError)
    expect(() => registration.current()).toThrow(CONTEXT_OFF)
    // Released on each response's close (one shared listener): every scope opened is closed.
    await expect.poll(() => registration.stats()).toMatchObject({ scopesOpened: 5, scopesClosed: 5 })
  })

  it('names the request property of a registration with another name', () => {
    const registration = register({ name: 'billing', baseUrl: 'http://127.0.0.1:9', context: false })
    expect(() => registration.current()).toThrow(/read the request's client from req\.billing, got false/)
  })

  it('leaves current() the app client in app scope, in a request and out', async () => {
    const upstream = await fixture.hanging()
    const registration = register({ baseUrl: upstream.url, scope: 'app' })
    const app = express()
    app.use(registration.middleware)
    app.get('/', (req, res) => {
      res.json({ same: registration.current() === req.http && req.http === registration.client })
    })
    const served = await serve(app)

    expect(await (await fetch(served.url)).json()).toEqual({ same: true })
    expect(registration.current()).toBe(registration.client)
  })

  it('finds the request scope across awaits with context: true', async () => {
    const upstream = await fixture.hanging()
    const registration = register({ baseUrl: upstream.url, context: true })
    const app = express()
    app.use(registration.middleware)
    app.get('/', async (req, res) => {
      const before = registration.current()
      await sleep(5)
      await (await req.http.get('/echo')).json()
      res.json({
        same: before === req.http && registration.current() === req.http && req.http !== registration.client,
      })
    })
    const served = await serve(app)

    const results = await Promise.all(Array.from({ length: 3 }, async () => (await fetch(served.url)).json()))

    expect(results).toEqual(Array.from({ length: 3 }, () => ({ same: true })))
    expect(registration.current()).toBe(registration.client)
  })

  it('refuses a context that is not a boolean, naming the option', () => {
    expect(() => mooring({ context: 'yes' as unknown as boolean })).toThrow(ConfigError)
    expect(() => mooring({ context: 'yes' as unknown as boolean })).toThrow(/context/)
  })
})
