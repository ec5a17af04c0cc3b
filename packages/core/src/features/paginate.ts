import type { MooringClient, MooringRequestInit } from '../client/client.js'
import { ConfigError } from '../errors.js'
import type { MooringResponse } from '../call/response.js'
import { expectPositiveInt } from '../config/validate.js'
import { nextLink } from './link.js'

export interface PaginateOptions extends Omit<MooringRequestInit, 'body' | 'json'> {
  /** Pages fetched at most; the iteration ends after the last one. Default 100. */
  maxPages?: number
  /**
   * An absolute time (ms since the epoch) no page may run past, for the whole iteration: a page
   * requested after it fails with a total TimeoutError. Default: the client's (or scope's) own.
   */
  deadline?: number
}

const DEFAULT_MAX_PAGES = 100

/**
 * Pages of a listing that links to the next with `Link: <…>; rel="next"` (GitHub, GitLab, most
 * REST APIs), each a response. A page left unread is dumped before the next is asked for, so the
 * connection goes back to the pool. The next URL resolves against the page's URL and goes through
 * the client's origin rules (`allowedOrigins`) like any absolute URL.
 */
export async function* paginate(
  client: MooringClient,
  path: string,
  options: PaginateOptions = {},
): AsyncGenerator<MooringResponse, void, undefined> {
  const { maxPages: rawMax, deadline, ...init } = options
  const maxPages = rawMax === undefined ? DEFAULT_MAX_PAGES : expectPositiveInt('maxPages', rawMax)
  if ('body' in init || 'json' in init)
    throw new ConfigError('body', undefined, 'no body: pages are fetched with GET')
  // One scope for every page: the deadline holds across them, and what is in flight when the
  // caller stops iterating (break, throw) is released with it.
  const pages = client.scope(deadline === undefined ? {} : { deadline })
  try {
    let target: string | undefined = path
    let pageInit: MooringRequestInit = init
    for (let page = 0; page < maxPages && target !== undefined; page++) {
      const response = await pages.get(target, pageInit)
      const next = nextLink(response.headers.link)
      target = next === undefined ? undefined : new URL(next, response.rawUrl).href
      // The next URL carries its own query.
      if (page === 0 && init.query !== undefined) pageInit = { ...init, query: undefined }
      try {
        yield response
      } finally {
        if (!response.bodyUsed) await response.dump()
      }
    }
  } finally {
    await pages.close()
  }
}
