import type { Nginx } from './nginx.mjs'

export const ID_HEADER: 'x-request-id'

export interface RecordingUpstream {
  port: number
  /** Requests received, per request id. */
  seen: Map<string, number>
  close(): Promise<void>
}

export function startRecordingUpstream(): Promise<RecordingUpstream>

export type Method = 'GET' | 'POST'

export interface LoadClient {
  name: string
  /** Resolves with the status once the body has been read, or rejects with the client's error. */
  send(method: Method, path: string, id: string): Promise<number>
}

export interface Call {
  client: string
  id: string
  method: Method
  /** ms since the load started */
  start: number
  end: number
  status?: number
  error?: unknown
}

export function runLoad<D = undefined>(options: {
  tag: string
  clients: LoadClient[]
  durationMs: number
  concurrency: number
  maxCalls?: number
  disturb?: (signal: AbortSignal, origin: number) => Promise<D>
}): Promise<{ calls: Call[]; disturbance: D }>

export function reloadEvery(nginx: Nginx, everyMs: number, signal: AbortSignal): Promise<number>

export interface RestartTimes {
  /** ms since the load started: told to stop, had stopped, accepting connections again */
  stopping: number
  stopped: number
  up: number
}

export function restartOnce(
  nginx: Nginx,
  options: { afterMs: number; gapMs: number; origin: number },
): Promise<RestartTimes>

export function failureName(call: Call): string

export interface Judgement {
  gets: { total: number; failed: number }
  posts: { total: number; failed: number }
  /** Failures by method and what they failed with. */
  failures: Record<string, number>
  /** Failures by `delivery/logged-or-not`. */
  delivery: Record<string, number>
  mislabelled: string[]
  unlabelledErrors: string[]
  postsDeliveredTwice: string[]
  /** How many times nginx logged `id` plus how many times the upstream saw it. */
  logged(id: string): number
}

export function judge(
  calls: Call[],
  accessLog: Array<{ id: string }>,
  upstreamSeen: Map<string, number>,
): Judgement
