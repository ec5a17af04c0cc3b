import { describe, expect, it } from 'vitest'
import { formatTrace, traceOneSearch } from '../trace.mjs'

describe('pnpm demo --trace', () => {
  it('prints the inbound request, then its two attempts with the retry and its reason between them', async () => {
    const spans = await traceOneSearch()
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1)
    const tree = formatTrace(spans)
      .split('\n')
      .map((line) => line.replace(/\d+ ms/g, 'N ms').replace(/\?query=[^ ]+/, '?query=…'))
    expect(tree).toEqual([
      'GET /movies/search  (N ms, inbound)',
      '├─ GET /3/search/tv?query=…  → 503  (N ms, outbound attempt)',
      '├─ ↻ retry #1: status:503, after N ms',
      '└─ GET /3/search/tv?query=…  → 200  (N ms, outbound attempt, resend 1)',
    ])
  })
})
