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

/** What a retry reason in the table means. */
function reasonText(reason) {
  if (reason === 'stale-connection') {
    return 'a reused keep-alive connection was dropped before it answered; never delivered, so replayed once on a fresh one'
  }
  const status = /^status:(\d+)$/.exec(reason)
  if (status) return `fake-tmdb answered ${status[1]}; retried after the Retry-After it sent (idempotent GET)`
  if (reason.startsWith('timeout:')) return `the ${reason.slice(8)} timeout fired; retried`
  return `the connection failed with ${reason}; retried`
}

/**
 * The lines under the table that say what each column and code means, and why p99 is far above
 * p50: `retryAfter` is the fake's Retry-After range in seconds.
 */
export function explain(results, { retryAfter = [0, 1] } = {}) {
  const reasons = [...new Set(results.flatMap((r) => Object.keys(r.retries)))].sort()
  const lines = [
    'What the columns say:',
    '  requests, succeeded   searches sent to the app, and those it answered 200',
    '  upstream conns        connections fake-tmdb accepted from the app: keep-alive reuse keeps it near the',
    '                        concurrency, plus a fresh one for each dropped connection replayed',
    '  p50, p99              how long a search took, as the caller saw it. p50 is a search with no fault.',
    `                        p99 near ${Math.max(...retryAfter)} s: a search whose TMDB call was answered 503 waited the Retry-After`,
    `                        fake-tmdb sent (${retryAfter.join(' or ')} s) before Mooring retried it, a wait the upstream asked for`,
    "  retries by reason     each retry Mooring made, by why; 'none' when every first attempt succeeded",
    ...reasons.map((reason) => `    ${reason.padEnd(19)} ${reasonText(reason)}`),
    "  scopes closed         request scopes closed at teardown / opened (one per search); '- (app client)' in",
    '                        app scope, where every handler shares the app client and no scope is made',
    '  sockets left          upstream sockets still open after the app shut down: always 0, or the demo fails',
  ]
  if (results.some((r) => r.exhausted > 0)) {
    lines.push(
      '  502                   what the app answered for a search that met a fault on every attempt (3 tries)',
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
