import type { HeaderRecord } from '../config/headers.js'
import { ACCEPT_ENCODING } from './decompress.js'
import { isPlainObject } from '../config/validate.js'

// Replaced by the package's version at build time (tsup `define`, and vitest's for the sources):
// no file is read at run time, so it holds in bundles and on runtimes with no fs.
declare const __MOORING_VERSION__: string | undefined

/** `mooring/<version>`: some APIs (GitHub's) refuse a request with no User-Agent. */
export const USER_AGENT = `mooring/${typeof __MOORING_VERSION__ === 'string' ? __MOORING_VERSION__ : '0.0.0-dev'}`

/**
 * The client's default headers with `user-agent: mooring/<version>` and, when it decodes bodies,
 * `accept-encoding`, unless they set their own, or remove one with a `null` value (a plain
 * object's key, in any case).
 */
export function withDefaultHeaders(headers: HeaderRecord, input: unknown, decompress: boolean): HeaderRecord {
  const defaults: HeaderRecord = {}
  if (!given(headers, input, 'user-agent')) defaults['user-agent'] = USER_AGENT
  if (decompress && !given(headers, input, 'accept-encoding')) defaults['accept-encoding'] = ACCEPT_ENCODING
  return { ...defaults, ...headers }
}

function given(headers: HeaderRecord, input: unknown, name: string): boolean {
  if (headers[name] !== undefined) return true
  if (isPlainObject(input)) {
    for (const key in input) if (input[key] === null && key.toLowerCase() === name) return true
  }
  return false
}
