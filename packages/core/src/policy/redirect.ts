import type { Dispatcher } from 'undici'
import { type HeaderRecord, toHeaderRecord } from '../config/headers.js'
import type { HeadersInput } from '../config/options.js'

/**
 * The request's own headers that may follow it to another origin: content negotiation and caching,
 * nothing that can carry a credential. Browsers and got drop credentials by name; an allow-list
 * also drops the `x-api-key`s no list of names can foresee.
 */
const CROSS_ORIGIN_SAFE = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'pragma',
  'user-agent',
])
/** Describe a body: kept on a cross-origin 307/308 that sends the body again, dropped with it. */
const BODY_HEADERS = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
])

function refuse(problem: string): never {
  throw new Error(problem)
}

/**
 * The dispatch options of the request a redirect asks for, or null to hand the 3xx to the caller
 * (a non-http(s) or unparsable Location, or a method-preserving redirect of a body that cannot be
 * sent again). 303, and 301/302 after a POST, become a GET without a body, as browsers do. Across
 * origins only the request's own headers on a safe list go (accept…, user-agent, and the body's
 * content-type when the body goes too): the client's defaults belong to its base origin, and any
 * other header (authorization, cookie, x-api-key) may be a credential.
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
  const headers: HeaderRecord = {}
  if (sameOrigin) {
    const all = current.headers as HeaderRecord
    for (const name of Object.keys(all)) if (!toGet || !BODY_HEADERS.has(name)) headers[name] = all[name]
  } else {
    if (requestHeaders !== undefined) {
      const own = toHeaderRecord(requestHeaders, refuse)
      for (const name of Object.keys(own)) if (CROSS_ORIGIN_SAFE.has(name)) headers[name] = own[name]
    }
    // The body's own description goes with it (a `json` body's content-type is not in requestHeaders).
    if (!toGet && current.body != null) {
      const sent = current.headers as HeaderRecord
      for (const name of BODY_HEADERS) if (sent[name] !== undefined) headers[name] = sent[name]
    }
  }
  return {
    ...current,
    origin: url.origin,
    path: url.pathname + url.search,
    method: toGet ? 'GET' : current.method,
    body: toGet ? null : current.body,
    headers,
  }
}
