import type { MooringClient } from '@mooring/core'
import { Injectable, Module } from '@nestjs/common'
import { describe, expectTypeOf, it } from 'vitest'
import { InjectRegistration, InjectClient, InjectRequestClient, MooringModule } from '../src/index.js'

describe('@mooring/nest types', () => {
  it('decorators decorate constructor parameters and properties', () => {
    @Injectable()
    class Shows {
      @InjectClient('tmdb') readonly byProperty!: MooringClient
      constructor(
        @InjectClient() readonly tmdb: MooringClient,
        @InjectRequestClient('tmdb') readonly perRequest: MooringClient,
        @InjectRegistration() readonly binding: unknown,
      ) {}
    }
    expectTypeOf(InjectClient).parameters.toEqualTypeOf<[name?: string]>()
    expectTypeOf(Shows).toBeConstructibleWith({} as MooringClient, {} as MooringClient, null)
  })

  it('forRoot and forRootAsync take the binding options plus name and isGlobal', () => {
    @Module({
      imports: [
        MooringModule.forRoot({
          name: 'tmdb',
          isGlobal: true,
          baseUrl: 'http://127.0.0.1:1',
          scope: 'request',
        }),
        MooringModule.forRootAsync({
          name: 'billing',
          useFactory: () => ({ baseUrl: 'http://127.0.0.1:2' }),
        }),
      ],
    })
    class AppModule {}
    expectTypeOf(AppModule).toBeConstructibleWith()
  })

  it('options that must not compile', () => {
    // @ts-expect-error scope is 'app' or 'request'
    MooringModule.forRoot({ scope: 'session' })
    // @ts-expect-error the factory returns options, not a client
    MooringModule.forRootAsync({ useFactory: () => 'http://127.0.0.1:1' })
    // @ts-expect-error a decorator's name is a string
    InjectClient(1)
  })
})
