import { Writable } from 'node:stream'
import type { CacheGetResult as GetResult, CacheKey, CacheStore, CacheValue } from './cache-types.js'
import type { RedisConnection } from './connection.js'

// One hash per origin and path (what undici's own stores key on; `delete` drops all of it), one
// field per method and Vary variant. A field is the entry's metadata as JSON, its length first,
// then the body bytes. The hash lives as long as its longest-lived entry.
// KEYS[1]: the hash. ARGV: field, entry, ms to keep.
const PUT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 0
`

interface StoredMeta extends Omit<CacheValue, 'body'> {
  method: string
}

/** Entries larger than this are not stored (the response still goes through). Default 5 MiB. */
export interface RedisCacheStoreOptions {
  maxEntrySize?: number
}

/**
 * undici's `CacheStore` in Redis, for `interceptors.cache({ store })` or the client's `cache` option:
 * every instance sharing the Redis shares the cached responses. Fails open: a Redis error is a
 * miss on read and a skipped write, never a failed request.
 */
export class RedisCacheStore implements CacheStore {
  readonly #connection: RedisConnection
  readonly #maxEntrySize: number

  constructor(connection: RedisConnection, options: RedisCacheStoreOptions = {}) {
    this.#connection = connection
    this.#maxEntrySize = options.maxEntrySize ?? 5 * 1024 * 1024
  }

  #hash(key: CacheKey): string {
    return `${this.#connection.prefix}cache:${key.origin}:${key.path}`
  }

  async get(key: CacheKey): Promise<GetResult | undefined> {
    const { redis, report } = this.#connection
    let fields: Record<string, Buffer>
    try {
      await this.#connection.starting()
      fields = await redis.hgetallBuffer(this.#hash(key))
      report.succeeded()
    } catch (error) {
      report.failed('cache', 'get', 'open', error)
      return undefined
    }
    const now = Date.now()
    for (const name in fields) {
      const stored = fields[name]
      const meta = decodeMeta(stored)
      if (meta === undefined) continue // not an entry of ours (or cut short): a miss, not a failure
      const length = stored.readUInt32BE(0)
      if (meta.deleteAt <= now || meta.method !== key.method || !varyMatches(key, meta.vary)) continue
      return {
        statusCode: meta.statusCode,
        statusMessage: meta.statusMessage,
        headers: meta.headers,
        vary: meta.vary,
        etag: meta.etag,
        cacheControlDirectives: meta.cacheControlDirectives ?? {},
        cachedAt: meta.cachedAt,
        staleAt: meta.staleAt,
        deleteAt: meta.deleteAt,
        body: stored.subarray(4 + length),
      }
    }
    return undefined
  }

  createWriteStream(key: CacheKey, value: CacheValue): Writable {
    const { redis, report } = this.#connection
    const hash = this.#hash(key)
    const maxEntrySize = this.#maxEntrySize
    const chunks: Buffer[] = []
    let size = 0
    return new Writable({
      write(chunk: Buffer | string, encoding, callback) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk
        size += bytes.byteLength
        if (size > maxEntrySize) {
          this.destroy()
          return
        }
        chunks.push(bytes)
        callback()
      },
      final(callback) {
        const meta: StoredMeta = { ...value, method: key.method }
        const json = Buffer.from(JSON.stringify(meta), 'utf8')
        const head = Buffer.allocUnsafe(4)
        head.writeUInt32BE(json.byteLength, 0)
        const entry = Buffer.concat([head, json, ...chunks])
        const field = `${key.method} ${JSON.stringify(value.vary ?? null)}`
        const keepMs = Math.max(1, Math.ceil(value.deleteAt - Date.now()))
        redis.eval(PUT, 1, hash, field, entry, keepMs).then(
          () => {
            report.succeeded()
            callback()
          },
          (error: unknown) => {
            // Fail open: the response went to its caller; only the copy is lost.
            report.failed('cache', 'put', 'open', error)
            callback()
          },
        )
      },
    })
  }

  async delete(key: CacheKey): Promise<void> {
    const { redis, report } = this.#connection
    try {
      await redis.del(this.#hash(key))
      report.succeeded()
    } catch (error) {
      report.failed('cache', 'delete', 'open', error)
    }
  }
}

function decodeMeta(stored: Buffer): StoredMeta | undefined {
  if (stored.byteLength < 4) return undefined
  const length = stored.readUInt32BE(0)
  if (4 + length > stored.byteLength) return undefined
  try {
    return JSON.parse(stored.subarray(4, 4 + length).toString('utf8')) as StoredMeta
  } catch {
    return undefined
  }
}

function varyMatches(key: CacheKey, vary: CacheValue['vary']): boolean {
  if (vary == null) return true
  for (const name in vary) {
    const want = vary[name]
    const have = key.headers?.[name]
    if (want == null || have == null) {
      if ((want == null) !== (have == null)) return false
      continue
    }
    if (Array.isArray(want) || Array.isArray(have)) {
      if (!Array.isArray(want) || !Array.isArray(have) || want.length !== have.length) return false
      for (let i = 0; i < want.length; i++) if (want[i] !== have[i]) return false
      continue
    }
    if (want !== have) return false
  }
  return true
}
