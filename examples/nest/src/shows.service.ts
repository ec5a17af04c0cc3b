import type { MooringClient } from '@mooring/core'
import { InjectClient } from '@mooring/nest'
import { Injectable } from '@nestjs/common'

/** What GET /movies/search answers: one entry per show. */
export interface Show {
  id: number
  title: string
}

interface SearchPage {
  results: Array<{ id: number; name: string }>
}

// #region service
@Injectable()
export class ShowsService {
  // A singleton that stays one: the injected client sends through whichever client is current,
  // this request's scope inside a request, the app client outside one (a cron job, a bootstrap hook).
  constructor(@InjectClient() private readonly tmdb: MooringClient) {}

  async search(query: string): Promise<Show[]> {
    const res = await this.tmdb.get('/search/tv', { query: { query }, raiseForStatus: true })
    const page = await res.json<SearchPage>()
    return page.results.map((show) => ({ id: show.id, title: show.name }))
  }
}
// #endregion service
