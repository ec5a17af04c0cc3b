// Types of run-demo.mjs (plain JavaScript, so the demo runs on the built examples without a build of its own).
import type { RegistrationStats } from '@mooring/core'
import type { FakeTmdb, FakeTmdbOptions } from '@mooring/example-fake-tmdb'

/** What every example's `startServer` returns. */
export interface RunningExample {
  url: string
  stats(): RegistrationStats
  close(): Promise<void>
}

export type StartServer = (options: {
  tmdb: { baseUrl: string; apiKey: string }
  scope: 'app' | 'request'
  port: number
}) => Promise<RunningExample>

export interface DemoResult {
  framework: string
  scope: 'app' | 'request'
  requests: number
  /** Searches answered 200 with a list. */
  ok: number
  /** Searches that met an injected fault on every attempt the retry policy allows (answered 502): not problems. */
  exhausted: number
  p50: number
  p99: number
  /** Upstream connections the app opened. */
  connections: number
  /** Requests fake-tmdb answered 503, and dropped, during this run. */
  unavailable: number
  dropped: number
  /** The client's retries by reason (`status:503`, `stale-connection`, …). */
  retries: Record<string, number>
  scopesOpened: number
  scopesClosed: number
  /** fake-tmdb's open connections once the app had shut down. */
  socketsLeft: number
  /** What makes the demo fail: a search that should not have failed, a socket or scope left open. */
  problems: string[]
}

export const DEMO_FAULTS: FakeTmdbOptions

export function runDemo(options: {
  examples: ReadonlyArray<{ framework: string; startServer: StartServer }>
  requests: number
  concurrency?: number
  faults?: FakeTmdbOptions
  onStart?: (fake: FakeTmdb) => void
  onProgress?: (label: string, done: number, ok: number, total: number) => void
}): Promise<DemoResult[]>
