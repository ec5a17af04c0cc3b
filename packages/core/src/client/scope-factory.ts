import { ClientClosedError, ConfigError } from '../errors.js'
import { overHeaders } from '../config/headers.js'
import type { HeadersInput } from '../config/options.js'
import { isAbortSignal, type PreparedCounts, refuseHeader, type ScopeConfig } from '../config/scope.js'
import type { MooringClient } from './client.js'

/** What may differ between the scopes of one `prepareScope()`: per inbound request, typically. */
export interface ScopeOverrides {
  /** Added over the prepared scope's headers (an inbound `x-request-id`, `traceparent`). */
  headers?: HeadersInput
  /** Aborts this scope: its in-flight requests, and any made after, fail with `AbortError`. */
  signal?: AbortSignal
  /** An absolute time (ms since the epoch) no request of this scope may run past. */
  deadline?: number
  /**
   * The same as a time left: no request of this scope may run past this many ms from now (what is
   * left of an inbound request's time). Read against the monotonic clock, so no wall-clock reading.
   */
  deadlineIn?: number
}

export interface ScopeFactoryStats {
  /** Scopes `open()` has made. */
  scopesOpened: number
  /** Of those, the ones whose `close()` (or `destroy()`) has been called. */
  scopesClosed: number
}

/**
 * One kind of scope, its options validated once by `client.prepareScope(options)`, opened many
 * times: what a framework plugin opens per inbound request. `open()` with no overrides costs one
 * object; with overrides, their own checks and one copy of the prepared settings.
 */
export class ScopeFactory {
  readonly #parent: MooringClient
  readonly #template: ScopeConfig
  readonly #counts: PreparedCounts
  readonly #make: (settings: ScopeConfig) => MooringClient
  readonly #kind: 'client' | 'scope'

  /** @internal Made by `client.prepareScope()`. */
  constructor(
    parent: MooringClient,
    template: ScopeConfig & { readonly prepared: PreparedCounts },
    make: (settings: ScopeConfig) => MooringClient,
    kind: 'client' | 'scope',
  ) {
    this.#parent = parent
    this.#template = template
    this.#counts = template.prepared
    this.#make = make
    this.#kind = kind
  }

  /** A new scope of the client this factory was prepared from; `overrides` apply to it alone. */
  open(overrides?: ScopeOverrides): MooringClient {
    if (this.#parent.closed) throw new ClientClosedError(this.#kind)
    const template = this.#template
    let settings = template
    if (overrides !== undefined) settings = withOverrides(template, overrides)
    const scope = this.#make(settings)
    this.#counts.opened++
    return scope
  }

  stats(): ScopeFactoryStats {
    return { scopesOpened: this.#counts.opened, scopesClosed: this.#counts.closed }
  }
}

/** The prepared settings with one scope's overrides: checked here, as `scope()` checks its options. */
function withOverrides(template: ScopeConfig, overrides: ScopeOverrides): ScopeConfig {
  if (overrides === null || typeof overrides !== 'object') {
    throw new ConfigError('overrides', overrides, 'an object of headers, signal, deadline or deadlineIn')
  }
  let headers = template.headers
  let signal = template.signal
  let deadline = template.deadline
  let changed = false
  // One pass over the keys given, no array made: this runs per inbound request.
  for (const key in overrides) {
    const value: unknown = (overrides as Record<string, unknown>)[key]
    if (value === undefined) continue
    changed = true
    if (key === 'headers') {
      if (value === null || typeof value !== 'object')
        throw new ConfigError('headers', value, 'an object of headers')
      headers = overHeaders(headers, value as HeadersInput, refuseHeader)
    } else if (key === 'signal') {
      if (!isAbortSignal(value)) throw new ConfigError('signal', value, 'an AbortSignal')
      signal = value
    } else if (key === 'deadline') {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new ConfigError('deadline', value, 'a time in ms since the epoch (Date.now() + budget)')
      }
      const at = performance.now() + (value - Date.now())
      if (at < deadline) deadline = at
    } else if (key === 'deadlineIn') {
      if (typeof value !== 'number' || Number.isNaN(value))
        throw new ConfigError('deadlineIn', value, 'a number of ms')
      const at = performance.now() + value
      if (at < deadline) deadline = at
    } else
      throw new ConfigError(key, value, 'a known override (one of headers, signal, deadline, deadlineIn)')
  }
  return changed ? { ...template, headers, signal, deadline } : template
}
