import { ConfigError } from '../errors.js'
import { redactUrl } from '../observe/redact.js'
import { isPlainObject } from '../config/validate.js'

/** An explicit proxy with its credentials apart from its URL: `{ url, token }`. */
export interface ProxyOptions {
  /** The proxy's origin (`http://proxy:3128`). Credentials go in `token`, or in the URL (`http://user:pass@proxy:3128`). */
  url: string | URL
  /** The whole `Proxy-Authorization` value, such as `Basic …` or `Bearer …`. */
  token?: string
}

/**
 * An explicit proxy, normalized: `uri` is its origin without credentials (so it is safe wherever it
 * is shown), and the `Proxy-Authorization` value is held apart, not enumerable, so no log, inspect
 * or JSON of the options shows it.
 */
export interface NormalizedProxy {
  readonly uri: string
  readonly token: string | undefined
}

const EXPECTED = "an http(s) proxy URL ('http://user:pass@proxy:3128'), { url, token }, or 'env'"
// What undici would write as the header value: no CR, LF, NUL or other control.
const TOKEN_VALUE = /^[\t\x20-\x7e\x80-\xff]+$/

/**
 * Validates `proxy`. Credentials in the URL become a Basic `Proxy-Authorization` token (what
 * undici's ProxyAgent would build from them), so the URI kept afterwards never carries them.
 */
export function normalizeProxy(path: string, value: unknown): NormalizedProxy | 'env' | undefined {
  if (value === undefined || value === 'env') return value
  let rawUrl: unknown = value
  let token: string | undefined
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      if (key !== 'url' && key !== 'token') throw new ConfigError(`${path}.${key}`, undefined, 'url or token')
    }
    rawUrl = value.url
    if (value.token !== undefined) {
      if (typeof value.token !== 'string' || !TOKEN_VALUE.test(value.token)) {
        // Never the value: it is a credential.
        throw new ConfigError(
          `${path}.token`,
          undefined,
          'a Proxy-Authorization value (a non-empty header-safe string)',
        )
      }
      token = value.token
    }
  }
  let url: URL
  try {
    if (!(rawUrl instanceof URL) && typeof rawUrl !== 'string') throw new TypeError()
    url = new URL(String(rawUrl))
  } catch {
    throw new ConfigError(path, typeof rawUrl === 'string' ? redactUrl(rawUrl) : rawUrl, EXPECTED)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(path, redactUrl(url.href), EXPECTED)
  }
  // undici's ProxyAgent takes an origin; anything after it fails there with a bare "invalid url".
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new ConfigError(path, redactUrl(url.href), 'a proxy URL with no path, query or fragment')
  }
  if (url.username !== '' || url.password !== '') {
    if (token !== undefined) {
      throw new ConfigError(path, redactUrl(url.href), 'credentials in the URL or in `token`, not both')
    }
    const user = decodeURIComponent(url.username)
    const pass = decodeURIComponent(url.password)
    token = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
  }
  const proxy = { uri: url.origin } as NormalizedProxy
  Object.defineProperty(proxy, 'token', { value: token, enumerable: false })
  return Object.freeze(proxy)
}
