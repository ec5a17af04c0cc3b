import { BadRequestException, Controller, Get, Inject, Query } from '@nestjs/common'
import { type Show, ShowsService } from './shows.service.js'

@Controller('movies')
export class MoviesController {
  // @Inject(ShowsService), not the parameter's type alone: it needs no emitted type metadata, so the
  // same code runs under tsc, swc, esbuild and vitest.
  constructor(@Inject(ShowsService) private readonly shows: ShowsService) {}

  @Get('search')
  search(@Query('q') q?: string): Promise<Show[]> {
    const query = q?.trim()
    if (!query) throw new BadRequestException('q is required')
    return this.shows.search(query)
  }
}
