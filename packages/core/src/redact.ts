const SECRET_QUERY_KEY =
  /(^|[-_.])(key|apikey|api_key|token|secret|password|passwd|pwd|auth|authorization|sig|signature|session|credential|code)s?($|[-_.])|token|secret|password|apikey|api[-_]key/i

/**
 * Returns the URL fit for a message or a log: no user info, and the values of query parameters whose
 * names look secret (`api_key`, `token`, `sig`, …) replaced by `[redacted]`.
 */
export function redactUrl(url: string): string {
  const at = url.indexOf('@')
  const q = url.indexOf('?')
  if (at === -1 && q === -1) return url
  let out = url
  if (at !== -1) {
    const scheme = out.indexOf('://')
    const slash = out.indexOf('/', scheme === -1 ? 0 : scheme + 3)
    if (scheme !== -1 && (slash === -1 || at < slash) && (q === -1 || at < q)) {
      out = `${out.slice(0, scheme + 3)}[redacted]@${out.slice(at + 1)}`
    }
  }
  const qi = out.indexOf('?')
  if (qi === -1) return out
  const hash = out.indexOf('#', qi)
  const query = out.slice(qi + 1, hash === -1 ? undefined : hash)
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      if (eq === -1) return pair
      const key = safeDecode(pair.slice(0, eq))
      return SECRET_QUERY_KEY.test(key) ? `${pair.slice(0, eq)}=[redacted]` : pair
    })
    .join('&')
  return `${out.slice(0, qi + 1)}${redacted}${hash === -1 ? '' : out.slice(hash)}`
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
