import { ConfigError } from '../errors.js'
import type { Middleware } from './types.js'

export interface BearerAuthOptions {
  /** The token to start with (read once, at the first request). */
  getToken(): string | Promise<string>
  /**
   * A new token, after a 401 answered the current one. Called once however many calls got the 401
   * at the same time; they all wait for it. Default: `getToken` again.
   */
  refresh?(): string | Promise<string>
}

/**
 * Middleware that sends `authorization: Bearer <token>` and, when a call is answered 401, refreshes
 * the token once and sends the call once more. Concurrent calls share one refresh (single-flight);
 * a call that still gets 401 with the new token is answered with it: never a loop.
 */
export function bearerAuth(options: BearerAuthOptions): Middleware {
  if (options === null || typeof options !== 'object' || typeof options.getToken !== 'function') {
    throw new ConfigError('bearerAuth', options, '{ getToken, refresh? } with getToken a function')
  }
  if (options.refresh !== undefined && typeof options.refresh !== 'function') {
    throw new ConfigError('bearerAuth.refresh', options.refresh, 'a function')
  }
  const refresh = options.refresh ?? options.getToken
  /** The token in use, once known: every call reads it, a refresh replaces it. */
  let current: Promise<string> | null = null

  const fetchToken = (from: () => string | Promise<string>): Promise<string> => {
    const pending = Promise.resolve()
      .then(from)
      .then((token) => {
        if (typeof token !== 'string' || token === '')
          throw new ConfigError('bearerAuth token', undefined, 'a non-empty string')
        return token
      })
    // A failed fetch is not kept: the next call asks again.
    pending.catch(() => {
      if (current === pending) current = null
    })
    return pending
  }

  return async (request, next) => {
    if (current === null) current = fetchToken(options.getToken)
    const used = current
    request.headers.authorization = `Bearer ${await used}`
    const response = await next(request)
    if (response.status !== 401) return response
    await response.dump()
    // The first call to see a 401 for this token starts the refresh; the others find it started
    // (or done) and wait for the same promise.
    if (current === used || current === null) current = fetchToken(refresh)
    request.headers.authorization = `Bearer ${await current}`
    return next(request)
  }
}
