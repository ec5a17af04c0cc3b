import { describe, expect, it } from 'vitest'
import { FAULTS } from './matrix.js'
import { readDoc, renderOutcome, withCurrentMatrix, writeMatrix } from './write-matrix.js'

describe('docs/RELIABILITY.md', () => {
  it('shows the fault matrix the tests run (WRITE_MATRIX=1 rewrites it)', () => {
    if (process.env.WRITE_MATRIX === '1') writeMatrix()
    const doc = readDoc()
    expect(
      doc,
      'out of date: run `WRITE_MATRIX=1 npx vitest run packages/core/test/reliability/matrix-doc.test.ts`',
    ).toBe(withCurrentMatrix(doc))
    for (const f of FAULTS) {
      expect(doc).toContain(
        `| ${f.fault} | ${renderOutcome(f.expect.GET)} | ${renderOutcome(f.expect.POST)} |`,
      )
    }
  })
})
