import { types } from 'node:util'
import { ConfigError, MooringClient } from '@mooring/core'
import * as plugin from '@mooring/nest'
import { Module } from '@nestjs/common'
import { describe, expect, it } from 'vitest'
import { expectCoreReExports, expectPluginSurface } from '../../core/test/support/plugin-seam.js'
import { fetchJson } from '../../core/test/support/http.js'
import { createApp, PLATFORMS, startWithUpstream } from './support/app.js'
import { type Echo, EchoService } from './support/fixtures.js'

const UPSTREAM = 'http://127.0.0.1:9'

describe('the plugin seam in Nest', () => {
  it('injects the one registration surface, and re-exports the core names', async () => {
    @Module({ imports: [plugin.MooringModule.forRoot({ baseUrl: UPSTREAM })] })
    class AppModule {}
    const { app } = await createApp(AppModule, 'express')

    const registration = app.get<plugin.NestMooring>(plugin.getRegistrationToken())
    expectPluginSurface(registration, true)
    expect(registration).toBeInstanceOf(plugin.NestMooring)
    expectCoreReExports(plugin)
  })

  it('refuses two registrations of one name in an app with a ConfigError when the app is created', async () => {
    @Module({
      imports: [
        plugin.MooringModule.forRoot({ baseUrl: UPSTREAM }),
        plugin.MooringModule.forRoot({ baseUrl: 'http://127.0.0.1:10' }),
      ],
    })
    class ClashingModule {}

    const err = await createApp(ClashingModule, 'express').then(
      () => undefined,
      (e: unknown) => e,
    )

    expect(err).toBeInstanceOf(ConfigError)
    expect(err).toMatchObject({ option: 'name', message: expect.stringContaining('this Nest app') })
  })
})

describe.each(PLATFORMS)('the injected client on %s', (platform) => {
  it('is a delegating class, not a Proxy: stable methods, the brand of a MooringClient', async () => {
    const running = await startWithUpstream(platform, { propagate: ['x-request-id'] })
    const http = running.app.get(EchoService).http

    expect(types.isProxy(http)).toBe(false)
    expect(http).toBeInstanceOf(plugin.ContextualClient)
    expect(http).toBeInstanceOf(MooringClient)
    expect(http.get).toBe(http.get)
    expect(http.request).toBe(plugin.ContextualClient.prototype.request)
    expect(Object.getOwnPropertyNames(http)).toEqual([])
    expect(http.dispatcher).toBe(running.registration.client.dispatcher)
    expect(http.closed).toBe(false)
    // Through the same functions, each call goes by the current request's scope.
    const { body } = await fetchJson<Echo>(`${running.url}/service`, { headers: { 'x-request-id': 'r-1' } })
    expect(body.headers['x-request-id']).toBe('r-1')
    const outside = await running.app.get(EchoService).echo('/outside')
    expect(outside.headers['x-request-id']).toBeUndefined()
  })
})
