import { describe, expect, it } from 'vitest'
import { progressLine } from '../progress.mjs'
import { explain } from '../report.mjs'
import type { DemoResult } from '../run-demo.mjs'

/** Drives two runs of 4 searches each, the last with one failure. */
function drive(tty: boolean): string[] {
  const written: string[] = []
  let clock = 0
  const progress = progressLine({
    runs: 2,
    requests: 4,
    tty,
    write: (t) => written.push(t),
    now: () => clock,
    width: 8,
  })
  for (const [label, okAtEnd] of [
    ['express app', 4],
    ['express request', 3],
  ] as const) {
    for (let done = 1; done <= 4; done++) {
      clock += 150
      progress.update(label, done, Math.min(done, okAtEnd))
    }
  }
  progress.end()
  return written
}

describe('the demo progress', () => {
  it('on a terminal, rewrites one line in place: a bar over all runs, then the current app', () => {
    const written = drive(true)
    expect(written.slice(0, -1).every((t) => t.startsWith('\r') && !t.includes('\n'))).toBe(true)
    expect(written[0]).toBe('\r[#-------]  12% 1/8 searches, 1 ok · express app 1/4\x1b[K')
    expect(written.at(-2)).toBe('\r[########] 100% 8/8 searches, 7 ok · express request 4/4\x1b[K')
    expect(written.at(-1)).toBe('\n')
  })

  it('elsewhere, prints nothing while it runs and one summary line at the end', () => {
    expect(drive(false)).toEqual(['8/8 searches sent across 2 app runs, 7 answered 200\n'])
  })

  it('the explanation says why p99 is high and what every retry reason in the table means', () => {
    const result = {
      retries: { 'status:503': 3, 'stale-connection': 2 },
      exhausted: 1,
    } as unknown as DemoResult
    const text = explain([result], { retryAfter: [0, 1] })
    expect(text).toMatch(
      /p99 near 1 s: a search whose TMDB call was answered 503 waited the Retry-After\s+fake-tmdb sent \(0 or 1 s\)/,
    )
    expect(text).toMatch(/stale-connection\s+a reused keep-alive connection was dropped/)
    expect(text).toMatch(/status:503\s+fake-tmdb answered 503; retried after the Retry-After/)
    expect(text).toMatch(/502\s+what the app answered/)
    expect(text).toMatch(/sockets left/)
  })
})
