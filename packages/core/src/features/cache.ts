import { cacheStores, type Dispatcher, interceptors } from 'undici'
import { ConfigError } from '../errors.js'
import { isPlainObject } from '../config/validate.js'

type UndiciCacheOptions = NonNullable<Parameters<typeof interceptors.cache>[0]>
/** An undici cache store (`cacheStores.MemoryCacheStore`, `SqliteCacheStore`, or one of your own). */
export type CacheStore = NonNullable<UndiciCacheOptions['store']>
type Controller = Dispatcher.DispatchController
type Handler = Dispatcher.DispatchHandler

/** `cache: { store, methods }`. */
export interface CacheOptions {
  /** Where responses are kept. Default: undici's in-memory store (1024 entries, 100 MB). */
  store?: CacheStore
  /** Methods whose responses are cached. Default `['GET']`; only safe methods. */
  methods?: readonly ('GET' | 'HEAD' | 'OPTIONS' | 'TRACE')[]
}

/** `stats().cache`, with `cache` on. */
export interface CacheStats {
  /** Answered from the cache without reaching the origin. */
  hits: number
  /** Sent to the origin (revalidations included). */
  misses: number
}

/**
 * HTTP caching (RFC 9111) through undici's cache interceptor, as a shared cache: one client's
 * scopes are different users, so what one user's credentials got must not reach another.
 * - `Authorization`: undici's shared cache keeps such a response only when `public`, `s-maxage` or
 *   `must-revalidate` allow it (RFC 9111 §3.5).
 * - `Cookie`: RFC 9111 lets a shared cache keep those, so the piece under the cache marks the
 *   answer `private` unless it says `public` or `s-maxage`: the cache then does not keep it.
 * - `Vary` is undici's: a stored answer is served only to a request with the same varying headers.
 * Hits and misses are counted on both sides of the cache, for `stats()`.
 */
export class HttpCache {
  /** Cacheable requests seen above the cache, and those that went on below it. */
  readonly #counts = { lookups: 0, fetched: 0 }
  readonly #cache: Dispatcher.DispatcherComposeInterceptor
  readonly #methods: ReadonlySet<string>

  constructor(store: CacheStore, methods: readonly string[]) {
    this.#cache = interceptors.cache({
      store,
      methods: methods as UndiciCacheOptions['methods'],
      type: 'shared',
    })
    this.#methods = new Set(methods)
  }

  /** Innermost first, as `compose` takes them: the counter and marker below the cache, the lookup counter above it. */
  interceptors(): Dispatcher.DispatcherComposeInterceptor[] {
    const counts = this.#counts
    const methods = this.#methods
    const below: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
      if (!methods.has(opts.method)) return dispatch(opts, handler)
      counts.fetched++
      return dispatch(opts, hasCookie(opts.headers) ? new PrivateUnlessShared(handler) : handler)
    }
    const above: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
      if (methods.has(opts.method)) counts.lookups++
      return dispatch(opts, handler)
    }
    return [below, this.#cache, above]
  }

  /** Hits: lookups that did not go below the cache. */
  stats(): CacheStats {
    return { hits: this.#counts.lookups - this.#counts.fetched, misses: this.#counts.fetched }
  }
}

function hasCookie(headers: Dispatcher.DispatchOptions['headers']): boolean {
  if (headers === null || headers === undefined) return false
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'cookie') return true
    return false
  }
  return (headers as Record<string, unknown>).cookie !== undefined
}

const SHARED = /(?:^|,)\s*(?:public|s-maxage\s*=)/i

/** Passes everything through, adding `private` to the cache-control of an answer not marked shared. */
class PrivateUnlessShared implements Handler {
  readonly #handler: Handler
  constructor(handler: Handler) {
    this.#handler = handler
  }
  onRequestStart(controller: Controller, context: unknown): void {
    this.#handler.onRequestStart?.(controller, context)
  }
  onRequestUpgrade(controller: Controller, status: number, headers: never, socket: never): void {
    this.#handler.onRequestUpgrade?.(controller, status, headers, socket)
  }
  onResponseStart(
    controller: Controller,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    message: string,
  ): void {
    const raw = headers['cache-control']
    const value = Array.isArray(raw) ? raw.join(', ') : raw
    if (value === undefined || !SHARED.test(value)) {
      headers = { ...headers, 'cache-control': value === undefined ? 'private' : `${value}, private` }
    }
    this.#handler.onResponseStart?.(controller, status, headers, message)
  }
  onResponseData(controller: Controller, chunk: Buffer): void {
    this.#handler.onResponseData?.(controller, chunk)
  }
  onResponseEnd(controller: Controller, trailers: Record<string, string | string[] | undefined>): void {
    this.#handler.onResponseEnd?.(controller, trailers)
  }
  onResponseError(controller: Controller, err: Error): void {
    this.#handler.onResponseError?.(controller, err)
  }
}

const SAFE = ['GET', 'HEAD', 'OPTIONS', 'TRACE']

export function normalizeCache(path: string, value: unknown): HttpCache | null {
  if (value === undefined || value === false) return null
  if (value === true) return new HttpCache(new cacheStores.MemoryCacheStore(), ['GET'])
  if (!isPlainObject(value)) throw new ConfigError(path, value, 'true, or { store?, methods? }')
  for (const key of Object.keys(value)) {
    if (key !== 'store' && key !== 'methods')
      throw new ConfigError(`${path}.${key}`, value[key], 'store or methods')
  }
  const { store, methods = ['GET'] } = value
  if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => SAFE.includes(m))) {
    throw new ConfigError(`${path}.methods`, methods, `an array of safe methods (${SAFE.join(', ')})`)
  }
  if (
    store !== undefined &&
    (store === null || typeof store !== 'object' || typeof (store as CacheStore).get !== 'function')
  ) {
    throw new ConfigError(
      `${path}.store`,
      store,
      'an undici CacheStore (cacheStores.MemoryCacheStore, SqliteCacheStore, …)',
    )
  }
  return new HttpCache((store as CacheStore | undefined) ?? new cacheStores.MemoryCacheStore(), methods)
}
