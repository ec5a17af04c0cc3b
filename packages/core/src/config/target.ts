/** Where a request goes: the origin the dispatcher connects to and the request-target sent on it. */
export interface Target {
  origin: string
  path: string
  /** The request goes to the base origin, so the client's default headers and query go with it. */
  home: boolean
}

export interface Base {
  origin: string
  /** The base URL's path without a trailing slash; '' for the root. */
  prefix: string
}

export function toBase(url: URL | undefined): Base | undefined {
  if (url === undefined) return undefined
  const prefix = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname
  return { origin: url.origin, prefix }
}

const ABSOLUTE = /^[a-zA-Z][a-zA-Z0-9+.-]*:/

/**
 * '/' followed by anything but '/' or '\\' (from `at` on): a path under the base, resolved with no
 * URL parsing.
 */
export function isBasePath(path: string, at = 0): boolean {
  if (path.charCodeAt(at) !== 47) return false
  const c1 = path.charCodeAt(at + 1)
  return c1 !== 47 && c1 !== 92
}

/**
 * `url` is the base origin exactly (scheme and host lower-cased, no default port: how `origin` is
 * serialised) followed by a path: '/' then anything but a second '/' or '\\'. Anything else (other
 * case, a default port written out, user info, `\\`) is parsed as a URL.
 */
function onBaseOrigin(origin: string, url: string): boolean {
  return isBasePath(url, origin.length) && url.startsWith(origin)
}

/**
 * Resolves `path` against the base. A relative path is appended to the base path (`/v1` + `users`
 * → `/v1/users`), so it can never leave the base origin: only an absolute URL or a `//host` path
 * can, and the caller decides whether that origin is allowed. Returns why the path is refused
 * instead: no base and not absolute, a scheme that is not http(s), or a scheme with no `//`
 * (`http:admin`, which WHATWG parsing resolves against the base's origin, out of its path).
 */
export function resolveTarget(base: Base | undefined, path: string): Target | string {
  if (base !== undefined && isBasePath(path)) {
    return { origin: base.origin, path: base.prefix === '' ? path : base.prefix + path, home: true }
  }
  // The base origin as serialised, then '/': what middleware hands back for a call it did not move
  // (`request.url` is absolute). Its path is taken as a path under the base is, with no URL parsed.
  if (base !== undefined && onBaseOrigin(base.origin, path)) {
    return { origin: base.origin, path: path.slice(base.origin.length), home: true }
  }
  const c0 = path.charCodeAt(0)
  const c1 = path.charCodeAt(1)
  const scheme = ABSOLUTE.exec(path)
  if (scheme !== null || ((c0 === 47 || c0 === 92) && (c1 === 47 || c1 === 92))) {
    if (scheme !== null) {
      const s = scheme[0].length
      const a = path.charCodeAt(s)
      const b = path.charCodeAt(s + 1)
      if (!((a === 47 || a === 92) && (b === 47 || b === 92))) {
        return `a path with a scheme (${scheme[0].toLowerCase()}) must be an absolute URL (${scheme[0].toLowerCase()}//host/…); start a path under the base with '/'`
      }
    }
    let url: URL
    try {
      url = base === undefined ? new URL(path) : new URL(path, base.origin)
    } catch {
      return 'the path is not a valid URL'
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return `the URL scheme ${url.protocol} is not http: or https:`
    }
    return {
      origin: url.origin,
      path: url.pathname + url.search,
      home: base !== undefined && url.origin === base.origin,
    }
  }
  if (base === undefined) return 'the path must be an absolute http(s) URL (the client has no baseUrl)'
  return { origin: base.origin, path: `${base.prefix}/${path}`, home: true }
}

/**
 * The request-target: `path` without its fragment, with `query` appended. A fragment is never sent
 * (fetch and undici's own URL handling drop it too), and a query appended after one would land in it.
 */
export function appendQuery(path: string, query: string): string {
  const hash = path.indexOf('#')
  if (hash !== -1) path = path.slice(0, hash)
  if (query === '') return path
  return path.includes('?') ? `${path}&${query}` : `${path}?${query}`
}
