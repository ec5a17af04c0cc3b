import { readFileSync, writeFileSync } from 'node:fs'
import { BASE_OPTIONS, FAULTS, type Outcome } from './matrix.js'

/** docs/RELIABILITY.md, whose fault matrix section is generated from matrix.ts. */
export const RELIABILITY_DOC = new URL('../../../../docs/RELIABILITY.md', import.meta.url)

const START = '<!-- fault-matrix:start (generated from packages/core/test/reliability/matrix.ts) -->'
const END = '<!-- fault-matrix:end -->'

function attempts(outcome: Outcome): string {
  const n = `${outcome.attempts} attempt${outcome.attempts === 1 ? '' : 's'}`
  if (outcome.retries.length === 0) return n
  const counts = new Map<string, number>()
  for (const reason of outcome.retries) counts.set(reason, (counts.get(reason) ?? 0) + 1)
  const reasons = [...counts].map(([reason, count]) => `\`${reason}\`${count > 1 ? ` ×${count}` : ''}`)
  return `${n} (${reasons.join(', ')})`
}

/** One cell: how the call settles, how many attempts it made, how many requests the upstream saw. */
export function renderOutcome(outcome: Outcome): string {
  const parts: string[] = []
  if (outcome.settles === 'response') {
    parts.push(`response \`${outcome.status}\``)
    if (outcome.retryAfter !== undefined) parts.push(`\`retryAfter\` ${outcome.retryAfter} ms`)
  } else {
    const detail: string[] = []
    if (outcome.causeCode !== undefined) detail.push(`\`${outcome.causeCode}\``)
    if (outcome.phase !== undefined) detail.push(`phase \`${outcome.phase}\``)
    if (outcome.delivery !== undefined) detail.push(`delivery \`${outcome.delivery}\``)
    parts.push(`**${outcome.error}**${detail.length > 0 ? ` ${detail.join(', ')}` : ''}`)
    if (outcome.at === 'body') parts.push('on reading the body')
  }
  parts.push(attempts(outcome))
  parts.push(`upstream saw ${outcome.sent}`)
  return parts.join('; ')
}

export function renderMatrix(): string {
  const t = BASE_OPTIONS.timeout
  const lines = [
    START,
    '',
    `Client options in every cell: \`timeout: { connect: ${t.connect}, pool: ${t.pool}, headers: ${t.headers}, ` +
      `body: ${t.body}, total: ${t.total} }\`, \`retry: { backoff: { base: ${BASE_OPTIONS.retry.backoff.base}, ` +
      `max: ${BASE_OPTIONS.retry.backoff.max} } }\` (otherwise the default policy), ` +
      `\`limits: { connections: ${BASE_OPTIONS.limits.connections} }\`, plus what the fault names. ` +
      'The POST carries a JSON body and no `Idempotency-Key`. **Bold**: the call fails with that error ' +
      '(the request promise rejects, or reading the body does). In every cell the call settles within ' +
      '`timeout.total` (the test allows 500 ms of slack), the client has nothing in flight after it, ' +
      'and after `close()` the upstream has no open connection.',
    '',
    '| fault | GET | POST |',
    '| --- | --- | --- |',
  ]
  for (const f of FAULTS) {
    lines.push(`| ${f.fault} | ${renderOutcome(f.expect.GET)} | ${renderOutcome(f.expect.POST)} |`)
  }
  lines.push('', END)
  return lines.join('\n')
}

/** `doc` with its matrix section replaced by the current one. */
export function withCurrentMatrix(doc: string): string {
  const start = doc.indexOf(START)
  const end = doc.indexOf(END)
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`docs/RELIABILITY.md has no section between "${START}" and "${END}"`)
  }
  return doc.slice(0, start) + renderMatrix() + doc.slice(end + END.length)
}

export function readDoc(): string {
  return readFileSync(RELIABILITY_DOC, 'utf8')
}

/** Rewrites the matrix section of docs/RELIABILITY.md; returns whether anything changed. */
export function writeMatrix(): boolean {
  const doc = readDoc()
  const next = withCurrentMatrix(doc)
  if (next === doc) return false
  writeFileSync(RELIABILITY_DOC, next)
  return true
}
