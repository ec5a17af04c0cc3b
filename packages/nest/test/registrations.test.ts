import { ConfigError, type MooringClient } from '@mooring/core'
import {
  getRegistrationToken,
  InjectClient,
  MooringModule,
  type MooringModuleOptions,
  type NestMooring,
} from '@mooring/nest'
import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common'
import { Test } from '@nestjs/testing'
import { describe, expect, it } from 'vitest'
import { upstream } from '../../core/test/support/fixtures.js'
import { fetchJson } from '../../core/test/support/http.js'
import { PLATFORMS, startApp } from './support/app.js'
import type { Echo } from './support/fixtures.js'

const ORDERS_URL = Symbol('ORDERS_URL')

@Controller()
class BothController {
  constructor(
    @InjectClient('users') private readonly users: MooringClient,
    @InjectClient('orders') private readonly orders: MooringClient,
  ) {}

  @Get('both')
  async both(): Promise<{ users: Echo; orders: Echo }> {
    const [users, orders] = await Promise.all([this.users.get('/users/1'), this.orders.get('/orders/1')])
    return { users: await users.json<Echo>(), orders: await orders.json<Echo>() }
  }
}

/** Lives in a module that does not import MooringModule: only a global registration reaches it. */
@Injectable()
class FeatureService {
  constructor(@InjectClient() readonly http: MooringClient) {}
}
@Controller()
class FeatureController {
  constructor(@Inject(FeatureService) private readonly service: FeatureService) {}

  @Get('feature')
  async feature(): Promise<Echo> {
    return (await this.service.http.get('/feature')).json<Echo>()
  }
}
@Module({ controllers: [FeatureController], providers: [FeatureService] })
class FeatureModule {}

describe.each(PLATFORMS)('registrations on %s', (platform) => {
  it('reaches two upstreams side by side, one from forRoot, one from forRootAsync', async () => {
    const users = await upstream()
    const orders = await upstream()
    @Module({ providers: [{ provide: ORDERS_URL, useValue: orders.url }], exports: [ORDERS_URL] })
    class ConfigModule {}
    @Module({
      imports: [
        MooringModule.forRoot({ name: 'users', baseUrl: users.url }),
        MooringModule.forRootAsync({
          name: 'orders',
          imports: [ConfigModule],
          inject: [ORDERS_URL],
          useFactory: (baseUrl: string) => ({ baseUrl, scope: 'app' as const }),
        }),
      ],
      controllers: [BothController],
    })
    class AppModule {}
    const running = await startApp(AppModule, platform)

    const { status, body } = await fetchJson<{ users: Echo; orders: Echo }>(`${running.url}/both`)
    expect(status).toBe(200)
    expect(body.users.url).toBe('/users/1')
    expect(body.orders.url).toBe('/orders/1')
    expect(users.requests.map((r) => r.url)).toEqual(['/users/1'])
    expect(orders.requests.map((r) => r.url)).toEqual(['/orders/1'])

    const usersRegistration = running.app.get<NestMooring>(getRegistrationToken('users'))
    const ordersRegistration = running.app.get<NestMooring>(getRegistrationToken('orders'))
    expect(usersRegistration).not.toBe(ordersRegistration)
    expect([usersRegistration.mode, ordersRegistration.mode]).toEqual(['request', 'app'])
    await running.close()
    expect(usersRegistration.client.closed).toBe(true)
    expect(ordersRegistration.client.closed).toBe(true)
    await users.waitForOpen(0)
    await orders.waitForOpen(0)
  })

  it('reaches a module that does not import it when isGlobal is set', async () => {
    const feature = await upstream()
    @Module({ imports: [MooringModule.forRoot({ baseUrl: feature.url, isGlobal: true }), FeatureModule] })
    class AppModule {}
    const running = await startApp(AppModule, platform)
    const { status, body } = await fetchJson<Echo>(`${running.url}/feature`)
    expect(status).toBe(200)
    expect(body.url).toBe('/feature')
    expect(feature.requests).toHaveLength(1)
  })
})

describe('a wrong option', () => {
  it('fails at creation with ConfigError naming the option, from forRoot', async () => {
    const compiling = Test.createTestingModule({
      imports: [MooringModule.forRoot({ baseUrl: 'http://127.0.0.1:1', timeout: { total: -5 } })],
    }).compile()
    await expect(compiling).rejects.toBeInstanceOf(ConfigError)
    await expect(compiling).rejects.toMatchObject({ option: 'timeout.total' })
  })

  it('fails at creation with ConfigError naming the option, from forRootAsync', async () => {
    const compiling = Test.createTestingModule({
      imports: [
        MooringModule.forRootAsync({
          useFactory: async () => ({ scope: 'app' as const, deadline: 1_000 }),
        }),
      ],
    }).compile()
    await expect(compiling).rejects.toMatchObject({ name: 'ConfigError', option: 'deadline' })
  })

  it('rejects a name from an async factory, which comes too late to name the tokens', async () => {
    const compiling = Test.createTestingModule({
      imports: [
        MooringModule.forRootAsync({ useFactory: () => ({ name: 'orders' }) as MooringModuleOptions }),
      ],
    }).compile()
    await expect(compiling).rejects.toMatchObject({ name: 'ConfigError', option: 'name' })
  })

  it('rejects a name that is not an identifier', async () => {
    const compiling = Test.createTestingModule({
      imports: [MooringModule.forRoot({ name: 'not a name' })],
    }).compile()
    await expect(compiling).rejects.toMatchObject({ name: 'ConfigError', option: 'name' })
  })
})
