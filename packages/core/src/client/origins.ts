import type { ClientConfig } from '../config/options.js'
import { OriginState } from '../observe/stats.js'
import { CircuitBreaker } from '../policy/breaker.js'
import { RetryBudget } from '../policy/budget.js'

/**
 * What a client tree keeps per origin at run time (counters, the retry budget, the circuit
 * breaker), shared by the root client and all its scopes. The base origin's record is found with
 * no map lookup.
 */
export class Origins {
  readonly #config: ClientConfig
  readonly states = new Map<string, OriginState>()
  readonly #baseOrigin: string | undefined
  readonly #base: OriginState | undefined

  constructor(config: ClientConfig) {
    this.#config = config
    this.#baseOrigin = config.target?.origin
    if (this.#baseOrigin !== undefined) {
      this.#base = this.#make()
      this.states.set(this.#baseOrigin, this.#base)
    }
  }

  /** The origin's record, made on first use with the client's retry budget and circuit breaker. */
  get(origin: string): OriginState {
    if (origin === this.#baseOrigin) return this.#base!
    let state = this.states.get(origin)
    if (state === undefined) {
      state = this.#make()
      this.states.set(origin, state)
    }
    return state
  }

  #make(): OriginState {
    const config = this.#config
    const budget = config.retry?.budget
    return new OriginState(
      budget == null ? null : new RetryBudget(budget.ratio, budget.minPerSecond, budget.ttl),
      config.circuitBreaker === null ? null : new CircuitBreaker(config.circuitBreaker),
    )
  }
}
