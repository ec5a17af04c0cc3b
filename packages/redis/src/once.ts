import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { DuplicateError, expectPositive, RedisStoreConfigError, StoreUnavailableError } from './errors.js'
import type { GuardStore } from './guard-store.js'
import type { FailureReport } from './report.js'

export interface OnceOptions {
  /** How long the outcome is kept, so a duplicate within it is recognised. Default 24 h. */
  ttl?: number
  /**
   * How long a lock lives without a heartbeat. The holder renews it every third of this; a holder
   * that crashed loses it after this, and the next caller runs the side effect again (`attempt` 2).
   * Default 30 s.
   */
  lockTtl?: number
  /**
   * A duplicate: `'stored'` (default) waits for the first run if it is still running, then returns
   * its recorded result (as Stripe's idempotency keys); `'error'` throws `DuplicateError` at once.
   */
  onDuplicate?: 'stored' | 'error'
  /**
   * The store cannot answer (Redis down or slow): `'closed'` (default) throws `StoreUnavailableError`
   * and does not run `fn` (for a charge: better not twice); `'open'` runs `fn` unguarded.
   */
  failMode?: 'open' | 'closed'
  /** With `onDuplicate: 'stored'`, how long a duplicate waits for a run in progress. Default `lockTtl`. */
  wait?: number
}

/** What `fn` is told: the attempt (2 or more means a run before it started and did not finish). */
export interface OnceContext {
  readonly key: string
  readonly attempt: number
  /** False when the store failed and `failMode: 'open'` ran `fn` without a lock. */
  readonly guarded: boolean
}

export type Once = <T>(
  key: string,
  options: OnceOptions | undefined,
  fn: (context: OnceContext) => T | Promise<T>,
) => Promise<T>

/** A duplicate waiting for a run in progress asks again after 20 ms, then less often, up to 250 ms. */
const POLL_FIRST_MS = 20
const POLL_MAX_MS = 250

/**
 * The side-effect guard: `once(key, options, fn)` runs `fn` only if no caller sharing the store has
 * run it or is running it under `key`, and records the outcome (JSON) for duplicates. When `fn`
 * throws, the lock is released and the error rethrown, so a later retry may run it.
 */
export function createOnce(store: GuardStore, report: FailureReport): Once {
  // Calls of one process under one key share one claim: N concurrent duplicates in a process cost
  // the store one claim and one poll loop, not N.
  const inProcess = new Map<string, Promise<unknown>>()
  return async function once<T>(
    key: string,
    options: OnceOptions | undefined,
    fn: (context: OnceContext) => T | Promise<T>,
  ): Promise<T> {
    if (typeof key !== 'string' || key === '') {
      throw new RedisStoreConfigError(
        `once: key must be a non-empty string, got ${typeof key === 'string' ? "''" : typeof key}`,
      )
    }
    if (typeof fn !== 'function')
      throw new RedisStoreConfigError(`once('${key}'): fn must be a function, got ${typeof fn}`)
    const ttl = expectPositive('once options.ttl', options?.ttl, 86_400_000)
    const lockTtl = expectPositive('once options.lockTtl', options?.lockTtl, 30_000)
    const wait = expectPositive('once options.wait', options?.wait, lockTtl)
    const onDuplicate = options?.onDuplicate ?? 'stored'
    if (onDuplicate !== 'stored' && onDuplicate !== 'error') {
      throw new RedisStoreConfigError(
        `once options.onDuplicate must be 'stored' or 'error', got ${String(onDuplicate)}`,
      )
    }
    const failMode = options?.failMode ?? 'closed'
    if (failMode !== 'open' && failMode !== 'closed') {
      throw new RedisStoreConfigError(
        `once options.failMode must be 'open' or 'closed', got ${String(failMode)}`,
      )
    }
    const running = inProcess.get(key)
    if (running !== undefined) {
      if (onDuplicate === 'error') throw new DuplicateError(key, 'running')
      try {
        return (await running) as T
      } catch {
        // That run failed and released its lock: this call claims the key itself.
      }
    }
    const claimed = claimAndRun(key, { ttl, lockTtl, wait, onDuplicate, failMode }, fn)
    inProcess.set(key, claimed)
    try {
      return await claimed
    } finally {
      if (inProcess.get(key) === claimed) inProcess.delete(key)
    }
  }

  async function claimAndRun<T>(
    key: string,
    { ttl, lockTtl, wait, onDuplicate, failMode }: Required<OnceOptions>,
    fn: (context: OnceContext) => T | Promise<T>,
  ): Promise<T> {
    const token = randomUUID()
    const deadline = Date.now() + wait
    let poll = POLL_FIRST_MS
    // Bounded: every round returns, throws, or sleeps, and the deadline ends the waiting.
    for (;;) {
      let claim: Awaited<ReturnType<GuardStore['claim']>>
      try {
        claim = await store.claim(key, token, lockTtl, ttl)
        report.succeeded()
      } catch (error) {
        if (failMode === 'closed') {
          report.failed('guard', 'claim', 'closed', error)
          throw new StoreUnavailableError(key, { cause: error })
        }
        report.failed('guard', 'claim', 'open', error)
        return fn({ key, attempt: 1, guarded: false })
      }
      if (claim.state === 'done') {
        if (onDuplicate === 'error') throw new DuplicateError(key, 'done')
        return (JSON.parse(claim.outcome) as { value: T }).value
      }
      if (claim.state === 'running') {
        if (onDuplicate === 'error' || Date.now() >= deadline) throw new DuplicateError(key, 'running')
        await sleep(Math.min(poll, Math.max(1, deadline - Date.now())))
        poll = Math.min(poll * 2, POLL_MAX_MS)
        continue
      }
      return run(key, token, claim.attempt, lockTtl, ttl, fn)
    }
  }

  async function run<T>(
    key: string,
    token: string,
    attempt: number,
    lockTtl: number,
    ttl: number,
    fn: (context: OnceContext) => T | Promise<T>,
  ): Promise<T> {
    // The heartbeat keeps the lock while fn runs longer than lockTtl; a crash stops it.
    const heartbeat = setInterval(() => {
      Promise.resolve(store.extend(key, token, lockTtl)).catch((error) =>
        report.failed('guard', 'extend', 'open', error),
      )
    }, lockTtl / 3)
    heartbeat.unref()
    let result: T
    try {
      result = await fn({ key, attempt, guarded: true })
    } catch (error) {
      clearInterval(heartbeat)
      try {
        await store.release(key, token)
      } catch (releaseError) {
        // The lock then expires after lockTtl.
        report.failed('guard', 'release', 'open', releaseError)
      }
      throw error
    }
    clearInterval(heartbeat)
    try {
      await store.complete(key, token, JSON.stringify({ value: result }), ttl)
    } catch (error) {
      // The side effect happened; only its record is lost. Duplicates within lockTtl still see the lock.
      report.failed('guard', 'complete', 'open', error)
    }
    return result
  }
}
