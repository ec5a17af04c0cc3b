/** Renders rows (arrays of cells) under `headers` as a plain-text table; numbers align right. */
export function renderTable(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)))
  const line = (cells) =>
    cells
      .map((cell, i) =>
        typeof cell === 'number' ? String(cell).padStart(widths[i]) : String(cell).padEnd(widths[i]),
      )
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

export function ms(value) {
  if (Number.isNaN(value)) return '-'
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`
}

/** `{ 'status:503': 9, 'stale-connection': 14 }` → `503 ×9, stale ×14`. */
export function retries(byReason) {
  const parts = Object.entries(byReason)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, count]) => `${reason} ×${count}`)
  return parts.length === 0 ? 'none' : parts.join(', ')
}
