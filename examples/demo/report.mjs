/** The demo's table and the lines under it. */
export function report(results) {
  const table = renderTable(
    [
      'framework',
      'scope',
      'requests',
      'succeeded',
      'upstream conns',
      'p50',
      'p99',
      'retries by reason',
      'scopes closed',
      'sockets left',
    ],
    results.map((r) => [
      r.framework,
      r.scope,
      r.requests,
      r.ok,
      r.connections,
      ms(r.p50),
      ms(r.p99),
      retries(r.retries),
      r.scope === 'app' ? '- (app client)' : `${r.scopesClosed}/${r.scopesOpened}`,
      r.socketsLeft,
    ]),
  )
  const sum = (key) => results.reduce((total, r) => total + r[key], 0)
  const lines = [
    table,
    '',
    `fake-tmdb answered ${sum('unavailable')} requests 503 and dropped ${sum('dropped')} on reused connections: ` +
      'Mooring retried the 503s after their Retry-After and replayed the dropped ones on a fresh connection.',
  ]
  if (sum('exhausted') > 0) {
    lines.push(
      `${sum('exhausted')} search(es) met a fault on every attempt and answered 502: the retry limit doing its job.`,
    )
  }
  return lines.join('\n')
}

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

function ms(value) {
  if (Number.isNaN(value)) return '-'
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`
}

/** `{ 'status:503': 9, 'stale-connection': 14 }` → `stale-connection ×14, status:503 ×9`. */
function retries(byReason) {
  const parts = Object.entries(byReason)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, count]) => `${reason} ×${count}`)
  return parts.length === 0 ? 'none' : parts.join(', ')
}
