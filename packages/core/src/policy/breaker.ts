import { CircuitState, ConsecutiveBreaker, type IBreaker, SamplingBreaker } from 'cockatiel'
import { ConfigError } from '../errors.js'
import { expectMs, expectObject, expectPositiveInt } from '../config/validate.js'

/**
 * Opt-in, per origin: after enough failures (connection errors, timeouts, 5xx) calls fail fast
 * with `CircuitOpenError` for `halfOpenAfter` ms, then one probe call decides whether to close.
 */
export interface CircuitBreakerOptions {
  /** Milliseconds the circuit stays open before a probe is let through. Default 10000. */
  halfOpenAfter?: number
  /** Open after this many failures in a row (default 5)… */
  consecutiveFailures?: number
  /** …or when this share of calls failed over `duration` ms, once there are `minimumRps` calls a second. */
  sampling?: { threshold: number; duration: number; minimumRps?: number }
}

export interface NormalizedBreakerOptions {
  halfOpenAfter: number
  createBreaker: () => IBreaker
}

/**
 * The state machine of a circuit breaker around cockatiel's breaker strategies. cockatiel's own
 * CircuitBreakerPolicy wraps a promise-returning function per call; Mooring's calls are dispatch
 * handlers whose outcome arrives in callbacks, so it keeps the well-tested part (when to open:
 * ConsecutiveBreaker, SamplingBreaker) and holds the three states itself, with no promise per call.
 */
export class CircuitBreaker {
  readonly #halfOpenAfter: number
  readonly #breaker: IBreaker
  #state = CircuitState.Closed
  #openedAt = 0
  #probing = false

  constructor(options: NormalizedBreakerOptions) {
    this.#halfOpenAfter = options.halfOpenAfter
    this.#breaker = options.createBreaker()
  }

  get state(): 'closed' | 'open' | 'half-open' {
    return this.#state === CircuitState.Closed
      ? 'closed'
      : this.#state === CircuitState.Open
        ? 'open'
        : 'half-open'
  }

  /** Whether an attempt may go out now; `probe` is set when it is the half-open probe. */
  tryPass(): 'pass' | 'probe' | 'open' {
    if (this.#state === CircuitState.Closed) return 'pass'
    if (this.#state === CircuitState.Open) {
      if (performance.now() - this.#openedAt < this.#halfOpenAfter) return 'open'
      this.#state = CircuitState.HalfOpen
    }
    if (this.#probing) return 'open'
    this.#probing = true
    return 'probe'
  }

  success(probe: boolean): void {
    if (probe) {
      this.#probing = false
      this.#state = CircuitState.Closed
    }
    this.#breaker.success(this.#state)
  }

  failure(probe: boolean): void {
    if (probe) {
      this.#probing = false
      this.#open()
      return
    }
    if (this.#breaker.failure(this.#state) && this.#state === CircuitState.Closed) this.#open()
  }

  /** The probe ended with no verdict (aborted by its caller): let the next call probe. */
  abandon(probe: boolean): void {
    if (probe) this.#probing = false
  }

  #open(): void {
    this.#state = CircuitState.Open
    this.#openedAt = performance.now()
  }
}

export function normalizeBreaker(path: string, input: unknown): NormalizedBreakerOptions | null {
  if (input === undefined || input === false) return null
  const o = expectObject(path, input, ['halfOpenAfter', 'consecutiveFailures', 'sampling'])
  const halfOpenAfter =
    o.halfOpenAfter === undefined ? 10_000 : expectMs(`${path}.halfOpenAfter`, o.halfOpenAfter)
  if (o.sampling !== undefined) {
    if (o.consecutiveFailures !== undefined) {
      throw new ConfigError(
        `${path}.consecutiveFailures`,
        o.consecutiveFailures,
        'no value when `sampling` is given',
      )
    }
    const s = expectObject(`${path}.sampling`, o.sampling, ['threshold', 'duration', 'minimumRps'])
    // Open bounds, as cockatiel's SamplingBreaker demands: it would throw a RangeError at the first call.
    if (typeof s.threshold !== 'number' || !(s.threshold > 0 && s.threshold < 1)) {
      throw new ConfigError(`${path}.sampling.threshold`, s.threshold, 'a share of calls in (0, 1)')
    }
    const sampling = {
      threshold: s.threshold,
      duration: expectMs(`${path}.sampling.duration`, s.duration),
      minimumRps:
        s.minimumRps === undefined
          ? undefined
          : expectPositiveInt(`${path}.sampling.minimumRps`, s.minimumRps),
    }
    return { halfOpenAfter, createBreaker: () => new SamplingBreaker(sampling) }
  }
  const count =
    o.consecutiveFailures === undefined
      ? 5
      : expectPositiveInt(`${path}.consecutiveFailures`, o.consecutiveFailures)
  return { halfOpenAfter, createBreaker: () => new ConsecutiveBreaker(count) }
}
