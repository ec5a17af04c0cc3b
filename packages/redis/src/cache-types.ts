import type { interceptors } from 'undici'

// undici 7 declares its cache types in a namespace its entry does not export by name; these are
// the same types, reached through the public `interceptors.cache` signature.
type CacheInterceptorOptions = NonNullable<Parameters<typeof interceptors.cache>[0]>
/** undici's cache store interface (`types/cache-interceptor.d.ts`, `CacheStore`). */
export type CacheStore = NonNullable<CacheInterceptorOptions['store']>
export type CacheKey = Parameters<CacheStore['get']>[0]
export type CacheValue = Parameters<CacheStore['createWriteStream']>[1]
export type CacheGetResult = NonNullable<Awaited<ReturnType<CacheStore['get']>>>
