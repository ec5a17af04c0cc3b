import 'reflect-metadata'
import type { ClientOptions } from '@mooring/core'
import { MooringModule } from '@mooring/nest'
import { type DynamicModule, Module } from '@nestjs/common'
import { APP_FILTER } from '@nestjs/core'
import { MoviesController } from './movies.controller.js'
import { ShowsService } from './shows.service.js'
import { UpstreamErrorsFilter } from './upstream-errors.filter.js'

export interface AppOptions {
  /** TMDB's base URL (`https://api.themoviedb.org/3`) and API Read Access Token. */
  tmdb: { baseUrl: string; apiKey: string }
  /** `'request'` (default): each request gets a scope of the app client. `'app'`: they share it. */
  scope?: 'app' | 'request'
  /** Where the client sends instead of a pool of its own (tests pass a `mockTransport`). */
  transport?: ClientOptions['transport']
}

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module is a class, and forRoot() is how it takes options.
export class AppModule {
  static forRoot({ tmdb, scope = 'request', transport }: AppOptions): DynamicModule {
    return {
      module: AppModule,
      // #region app
      imports: [
        MooringModule.forRoot({
          scope,
          baseUrl: tmdb.baseUrl,
          headers: { authorization: `Bearer ${tmdb.apiKey}` },
          timeout: { connect: 2_000, total: 10_000 },
          // Per request only: TMDB sees the inbound x-request-id; all of a request's calls get 8 s.
          ...(scope === 'request' && { propagate: ['x-request-id'], deadline: 8_000 }),
          transport,
        }),
      ],
      controllers: [MoviesController],
      providers: [ShowsService, { provide: APP_FILTER, useClass: UpstreamErrorsFilter }],
      // #endregion app
    }
  }
}
