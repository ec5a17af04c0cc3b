import type { MooringClient } from '@mooring/core'
import { InjectClient, MooringModule } from '@mooring/nest'
import { BadRequestException, Controller, Get, Inject, Injectable, Module, Query } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'

interface SearchPage {
  results: Array<{ id: number; name: string }>
}

@Injectable()
class ShowsService {
  // A singleton that stays one: the injected client sends through this request's scope inside a
  // request, and through the app client outside one (a cron job, a bootstrap hook).
  constructor(@InjectClient() private readonly tmdb: MooringClient) {}

  async search(query: string) {
    const found = await this.tmdb.get('/search/tv', { query: { query }, raiseForStatus: true })
    const page = await found.json<SearchPage>()
    return page.results.map((show) => ({ id: show.id, title: show.name }))
  }
}

@Controller('movies')
class MoviesController {
  constructor(@Inject(ShowsService) private readonly shows: ShowsService) {}

  @Get('search')
  search(@Query('q') q?: string) {
    if (!q?.trim()) throw new BadRequestException('q is required')
    return this.shows.search(q.trim())
  }
}

@Module({
  imports: [
    MooringModule.forRoot({
      baseUrl: process.env.TMDB_BASE_URL ?? 'https://api.themoviedb.org/3',
      headers: { authorization: `Bearer ${process.env.TMDB_API_KEY}` },
      timeout: { connect: 2_000, total: 10_000 },
      // Per request: TMDB sees the inbound x-request-id, and all of a request's calls get 8 s.
      propagate: ['x-request-id'],
      deadline: 8_000,
    }),
  ],
  controllers: [MoviesController],
  providers: [ShowsService],
})
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] })
// SIGTERM runs app.close(): the server closes, requests in flight finish, then the client closes.
app.enableShutdownHooks()
await app.listen(Number(process.env.PORT ?? 3000))
