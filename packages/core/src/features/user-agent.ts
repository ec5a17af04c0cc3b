import type { HeaderRecord } from '../headers.js'
import { isPlainObject } from '../validate.js'

// Replaced by the package's version at build time (tsup `define`, and vitest's for the sources):
// no file is read at run time, so it holds in bundles and on runtimes with no fs.
declare const __MOORING_VERSION__: string | undefined

/** `mooring/<version>`: some APIs (GitHub's) refuse a request with no User-Agent. */
export const USER_AGENT = `mooring/${typeof __MOORING_VERSION__ === 'string' ? __MOORING_VERSION__ : '0.0.0-dev'}`

/**
 * The client's default headers with `user-agent: mooring/<version>` unless they set their own, or
 * remove it with `'user-agent': null` (a plain object's key, in any case).
 */
export function withDefaultUserAgent(headers: HeaderRecord, input: unknown): HeaderRecord {
  if (headers['user-agent'] !== undefined) return headers
  if (isPlainObject(input)) {
    for (const key in input) {
      if (input[key] === null && key.toLowerCase() === 'user-agent') return headers
    }
  }
  return { 'user-agent': USER_AGENT, ...headers }
}
