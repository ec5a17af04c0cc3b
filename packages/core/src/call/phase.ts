import type { RetryRecord } from '../errors.js'

/** How a call ended, for the per-origin counters. */
export enum Outcome {
  Done = 0,
  Failed = 1,
  /** Refused before anything was sent (undici would not send it): not counted against the origin. */
  Refused = 2,
}

export const NO_RETRIES: RetryRecord[] = []
Object.freeze(NO_RETRIES)

/** A retried attempt's body worth reading to keep its connection; past this it is aborted. */
export const DISCARD_LIMIT = 64 * 1024

export enum Phase {
  /** Dispatched, waiting for a connection or the response head. */
  Head = 0,
  /** The head was handed to the caller; the body is arriving. */
  Body = 1,
  /** A retry was decided on this attempt's status; its body is being discarded. */
  Discard = 2,
  /** Waiting for the next attempt (backoff). */
  Backoff = 3,
  Done = 4,
}
