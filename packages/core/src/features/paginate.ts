import type { MooringClient, MooringRequestInit } from '../client/client.js'
import { ConfigError, TimeoutError } from '../errors.js'
import { redactUrl } from '../observe/redact.js'
import type { MooringResponse } from '../call/response.js'
import { expectPositiveInt } from '../config/validate.js'
import { nextLink } from './link.js'

export interface PaginateOptions extends Omit<MooringRequestInit, 'body' | 'json'> {
  /** Pages fetched at most; the iteration ends after the last one. Default 100. */
  maxPages?: number
  /**
   * An absolute time (ms since the epoch) no page may run past, for the whole iteration: a page
   * requested after it fails with a total TimeoutError. The client's (or scope's) own deadline holds too.
   */
  deadline?: number
}

const DEFAULT_MAX_PAGES = 100

/** `init` with its total timeout cut to what is left before `deadline`; past it, a total TimeoutError. */
function withDeadline(init: MooringRequestInit, deadline: number, target: string): MooringRequestInit {
  const left = Math.floor(deadline - Date.now())
  if (left <= 0) throw new TimeoutError('total', 0, { method: 'GET', url: redactUrl(target) }, 'not-sent')
  const total = init.timeout?.total
  return { ...init, timeout: { ...init.timeout, total: total === undefined ? left : Math.min(total, left) } }
}

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
  if (deadline !== undefined && (typeof deadline !== 'number' || !Number.isFinite(deadline))) {
    throw new ConfigError('deadline', deadline, 'a time in ms since the epoch (Date.now() + budget)')
  }
  if ('body' in init || 'json' in init)
    throw new ConfigError('body', undefined, 'no body: pages are fetched with GET')
  // The deadline holds across pages as each page's total timeout, not through a scope of its own:
  // the pages go through the client they were asked of (its cookie jar, its middleware).
  let target: string | undefined = path
  let pageInit: MooringRequestInit = init
  for (let page = 0; page < maxPages && target !== undefined; page++) {
    const response = await client.get(
      target,
      deadline === undefined ? pageInit : withDeadline(pageInit, deadline, target),
    )
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
}
