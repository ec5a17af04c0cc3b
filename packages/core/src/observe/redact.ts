/** Query keys whose values are shown in clear; every other query value is `[redacted]`. */
export type ShownQuery = ReadonlySet<string> | null

const REDACTED = '[redacted]'
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/

/**
 * Returns the URL fit for a message, a log or an event. Fails safe: anything that may hold a secret
 * goes, whatever it is named.
 * - User info (`user:pass@`) is `[redacted]`, also in forms no URL parser accepts (`ftp:\\u:p@host`).
 * - Every query value (and bare entry) is `[redacted]` but those of the keys in `shown` (`redact.showQuery`):
 *   secrets travel under too many names (`jwt`, `accessKey`, `sessionid`, `pass`) to be guessed.
 * - The fragment is dropped: it is never sent, and it is where tokens ride (OAuth implicit flow).
 */
export function redactUrl(url: string, shown: ShownQuery = null): string {
  let end = url.indexOf('#')
  if (end === -1) end = url.length
  let q = url.indexOf('?')
  if (q > end) q = -1
  let out = redactUserInfo(url, q === -1 ? end : q)
  if (q === -1) return end === url.length ? out : out.slice(0, out.length - (url.length - end))
  // The user info redaction changed the length before `?`; find it again in `out`.
  const shift = out.length - url.length
  const qi = q + shift
  const query = out.slice(qi + 1, end + shift)
  out = out.slice(0, qi + 1)
  let first = true
  for (const pair of query.split('&')) {
    out += first ? '' : '&'
    first = false
    // A bare entry (`?abc123`) may be the secret itself: shown only when named, like a value.
    const eq = pair.indexOf('=')
    const key = eq === -1 ? pair : pair.slice(0, eq)
    if (pair === '' || shown?.has(safeDecode(key))) out += pair
    else out += eq === -1 ? REDACTED : `${key}=${REDACTED}`
  }
  return out
}

/**
 * Redacts what sits before an `@` in the authority of `url[0, end)`: after a scheme, or after a
 * leading `//` or `\\`. An `@` past the authority is left alone when a URL parser agrees it is in
 * the path (`https://host/users/a@b`); when none can parse the URL (`http://u:pa/ss@host`), all up
 * to the `@` goes. A plain path (`/users/a@b`) is left as it is.
 */
function redactUserInfo(url: string, end: number): string {
  const at = url.lastIndexOf('@', end - 1)
  if (at === -1) return url
  let start: number
  const scheme = SCHEME.exec(url)
  if (scheme !== null) start = scheme[0].length
  else if (isSlash(url.charCodeAt(0)) && isSlash(url.charCodeAt(1))) start = 0
  else return url
  while (start < at && isSlash(url.charCodeAt(start))) start++
  let slash = start
  while (slash < at && !isSlash(url.charCodeAt(slash))) slash++
  if (slash === at) return `${url.slice(0, start)}${REDACTED}${url.slice(at)}`
  const inAuthority = url.lastIndexOf('@', slash)
  if (inAuthority >= start) return `${url.slice(0, start)}${REDACTED}${url.slice(inAuthority)}`
  // The only `@`s are past the first slash: in the path, if a parser reads the URL that way.
  if (URL.canParse(url.slice(0, end), 'http://base.invalid')) return url
  return `${url.slice(0, start)}${REDACTED}${url.slice(at)}`
}

function isSlash(c: number): boolean {
  return c === 47 || c === 92
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}

/** Response headers that carry no credential, shown in errors; every other value is `[redacted]`. */
const SAFE_RESPONSE_HEADERS = new Set([
  'accept-ranges',
  'age',
  'allow',
  'cache-control',
  'connection',
  'content-encoding',
  'content-language',
  'content-length',
  'content-range',
  'content-type',
  'date',
  'etag',
  'expires',
  'keep-alive',
  'last-modified',
  'retry-after',
  'server',
  'transfer-encoding',
  'vary',
  'via',
])

/**
 * Response headers fit for an error's JSON and inspection: the safe ones as they are, `location`
 * redacted as a URL, every other value (`set-cookie`, an echoed credential) `[redacted]`.
 */
export function redactResponseHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  shown: ShownQuery = null,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const name of Object.keys(headers)) {
    const value = headers[name]
    if (value === undefined) continue
    if (SAFE_RESPONSE_HEADERS.has(name)) out[name] = value
    else if (name === 'location')
      out[name] = Array.isArray(value) ? value.map((v) => redactUrl(v, shown)) : redactUrl(value, shown)
    else out[name] = REDACTED
  }
  return out
}
