// Number formatting for the tables.

export const int = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a')
export const fixed = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a')
export const times = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a')
export const mib = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(2)} MiB` : 'n/a')

/** A markdown table from a header row and rows of cells. */
export function table(header, rows, align) {
  const line = (cells) => `| ${cells.join(' | ')} |`
  const rule = header.map((_, i) => ((align?.[i] ?? 'r') === 'l' ? ':--' : '--:'))
  return [line(header), line(rule), ...rows.map(line)].join('\n')
}

export function handlesText(counts) {
  const entries = Object.entries(counts ?? {})
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k} × ${v}`).join(', ')
}
