/**
 * The target of the `Link` entry with `rel="next"` (RFC 8288), or undefined. Only what pagination
 * needs: entries `<uri>; param=value; …`, separated by commas, with `rel` holding one or more
 * space-separated relation types, quoted or not, in any case. Hand-written: about 20 lines, where
 * the packages that parse Link headers in full bring a dependency for this one lookup.
 */
export function nextLink(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined
  const text = Array.isArray(header) ? header.join(', ') : header
  let at = 0
  while (at < text.length) {
    const open = text.indexOf('<', at)
    if (open === -1) return undefined
    const close = text.indexOf('>', open)
    if (close === -1) return undefined
    // Parameters run to the next entry's `<` (a comma inside a quoted value is kept with it).
    let end = text.indexOf('<', close)
    if (end === -1) end = text.length
    const params = text.slice(close + 1, end)
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params)
    const types = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/)
    if (types.includes('next')) return text.slice(open + 1, close).trim()
    at = end
  }
  return undefined
}
