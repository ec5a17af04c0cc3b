import type { Dispatcher } from 'undici'
import { type HeaderRecord, toHeaderRecord } from './headers.js'
import type { HeadersInput } from './options.js'

/** Never carried to another origin, even when the request itself set them (as fetch does). */
const CREDENTIALS = ['authorization', 'cookie', 'proxy-authorization']
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
]

function refuse(problem: string): never {
  throw new Error(problem)
}

/**
 * The dispatch options of the request a redirect asks for, or null to hand the 3xx to the caller
 * (a non-http(s) or unparsable Location, or a method-preserving redirect of a body that cannot be
 * sent again). 303, and 301/302 after a POST, become a GET without a body, as browsers do. Across
 * origins only the request's own headers go, less its credentials: the client's defaults belong to
 * its base origin.
 */
export function redirectTarget(
  current: Dispatcher.DispatchOptions,
  status: number,
  location: string | string[],
  requestHeaders: HeadersInput | undefined,
  replayable: boolean,
): Dispatcher.DispatchOptions | null {
  let url: URL
  try {
    url = new URL(Array.isArray(location) ? location[0] : location, String(current.origin) + current.path)
  } catch {
    return null
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
  const toGet =
    (status === 303 && current.method !== 'HEAD') ||
    ((status === 301 || status === 302) && current.method === 'POST')
  if (!toGet && current.body != null && !replayable) return null
  const sameOrigin = url.origin === String(current.origin)
  let headers: HeaderRecord
  if (sameOrigin) headers = { ...(current.headers as HeaderRecord) }
  else {
    headers = requestHeaders === undefined ? {} : toHeaderRecord(requestHeaders, refuse)
    for (const name of CREDENTIALS) delete headers[name]
  }
  if (toGet) for (const name of BODY_HEADERS) delete headers[name]
  return {
    ...current,
    origin: url.origin,
    path: url.pathname + url.search,
    method: toGet ? 'GET' : current.method,
    body: toGet ? null : current.body,
    headers,
  }
}
