/** Which part of a store failed: the rate limit, the side-effect guard or the HTTP cache. */
export type StorePart = 'rateLimit' | 'guard' | 'cache'

/** What a store did when its backend failed. */
export interface StoreFailure {
  readonly part: StorePart
  readonly operation: string
  /** `'open'`: the call went on as if there were no store; `'closed'`: it was refused. */
  readonly outcome: 'open' | 'closed'
  readonly error: Error
}

/** Counters of backend failures, by outcome, since the store was created. */
export interface StoreStats {
  readonly failedOpen: number
  readonly failedClosed: number
  /** False from the first failure to the next success. */
  readonly healthy: boolean
}

export type StoreLogger = (message: string, failure?: StoreFailure) => void

/**
 * Counts every failure, logs the first one of an outage and the recovery (not every failed call:
 * an outage at 1000 rps would otherwise log 1000 lines a second).
 */
export class FailureReport {
  failedOpen = 0
  failedClosed = 0
  healthy = true
  constructor(
    private readonly log: StoreLogger,
    private readonly onFailure: ((failure: StoreFailure) => void) | undefined,
  ) {}

  failed(part: StorePart, operation: string, outcome: 'open' | 'closed', cause: unknown): void {
    if (outcome === 'open') this.failedOpen++
    else this.failedClosed++
    const error = cause instanceof Error ? cause : new Error(String(cause))
    const failure: StoreFailure = { part, operation, outcome, error }
    this.onFailure?.(failure)
    if (this.healthy) {
      this.healthy = false
      this.log(
        `@mooring/redis: the store failed (${part} ${operation}: ${error.message}); failing ${outcome === 'open' ? 'open' : 'closed'} until it answers again`,
        failure,
      )
    }
  }

  /** The connection dropped or could not be made: logged once per outage, not counted as a call. */
  disconnected(cause: unknown): void {
    if (!this.healthy) return
    this.healthy = false
    this.log(
      `@mooring/redis: the connection failed (${cause instanceof Error ? cause.message : String(cause)}); retrying`,
    )
  }

  succeeded(): void {
    if (this.healthy) return
    this.healthy = true
    this.log('@mooring/redis: the store answers again')
  }

  stats(): StoreStats {
    return { failedOpen: this.failedOpen, failedClosed: this.failedClosed, healthy: this.healthy }
  }
}

export const warn: StoreLogger = (message) => {
  console.warn(message)
}
