import type { DemoResult } from './run-demo.mjs'

/** The demo's table and the lines under it. */
export function report(results: readonly DemoResult[]): string
export function renderTable(
  headers: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
): string
