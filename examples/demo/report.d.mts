import type { DemoResult } from './run-demo.mjs'

/** The demo's table and the lines under it. */
export function report(results: readonly DemoResult[]): string
export function renderTable(
  headers: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
): string
/** What each column and retry reason means, and why p99 is far above p50. */
export function explain(results: readonly DemoResult[], options?: { retryAfter?: readonly number[] }): string
