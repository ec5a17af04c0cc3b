import { CookieJar } from 'tough-cookie'
import { ConfigError } from '../errors.js'
import type { MooringRequest } from '../middleware/request.js'
import type { Middleware } from '../middleware/types.js'
import { isPlainObject } from '../config/validate.js'

/**
 * `cookies: true`: a jar per client and per scope, so one user's session never reaches another
 * user's request. `{ jar }` (a tough-cookie CookieJar) shares one jar across the client and every
 * scope: what a single-user client (a CLI, a crawler) wants, and must ask for.
 */
export type CookiesOption = boolean | { jar: CookieJar }

/** The jars of one client or scope, one per origin: a cookie is sent back only to the origin (port included) that set it. */
type Jars = Map<string, CookieJar>

export function normalizeCookies(path: string, value: unknown): Middleware | null {
  if (value === undefined || value === false) return null
  if (value === true) return cookieMiddleware(null)
  if (isPlainObject(value) && Object.keys(value).length === 1 && value.jar instanceof CookieJar) {
    return cookieMiddleware(value.jar)
  }
  throw new ConfigError(
    path,
    value,
    'true (a jar per scope), or { jar } with a tough-cookie CookieJar shared by all',
  )
}

/**
 * Cookies through tough-cookie (RFC 6265: domain, path, expiry, Secure, HttpOnly), as middleware:
 * the jar's cookies for the request's URL go in `cookie`, and each `set-cookie` of the answer goes
 * to the jar. A jar per origin besides: RFC 6265 ignores ports, so on one host two services would
 * otherwise see each other's cookies. Redirect hops the call follows itself are not seen here.
 */
function cookieMiddleware(shared: CookieJar | null): Middleware {
  // Per client or scope (the object the call was made on); a scope's jars go with the scope.
  const jarsOf = new WeakMap<object, Jars>()
  const jarFor = (request: MooringRequest, origin: string): CookieJar => {
    if (shared !== null) return shared
    let jars = jarsOf.get(request._client)
    if (jars === undefined) {
      jars = new Map()
      jarsOf.set(request._client, jars)
    }
    let jar = jars.get(origin)
    if (jar === undefined) {
      jar = new CookieJar()
      jars.set(origin, jar)
    }
    return jar
  }
  return async (request, next) => {
    const url = request.url
    const jar = jarFor(request, new URL(url).origin)
    const stored = jar.getCookieStringSync(url)
    if (stored !== '') {
      const own = request.headers.cookie
      request.headers.cookie = own === undefined ? stored : `${String(own)}; ${stored}`
    }
    const response = await next(request)
    const setCookie = response.headers['set-cookie']
    if (setCookie !== undefined) {
      // The URL the answer came from: a Domain attribute for another site is refused by the jar.
      const from = shared === null ? jarFor(request, new URL(response.rawUrl).origin) : shared
      for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
        from.setCookieSync(line, response.rawUrl, { ignoreError: true })
      }
    }
    return response
  }
}
