/**
 * Finagle's retry budget: retries may add at most `ratio` to the requests of the last `ttl`
 * milliseconds, plus `minPerSecond` retries every second so quiet clients can still retry. One
 * budget per origin, shared by a client and all its scopes, so a struggling upstream sees at most
 * about (1 + ratio)× its normal load, never the 3× of blind retries.
 */
export class RetryBudget {
  readonly #ratio: number
  readonly #minPerSecond: number
  readonly #buckets: number
  /** Requests per one-second bucket, a ring over the window. */
  readonly #deposits: Float64Array
  /** Retries charged to the ratio per bucket. */
  readonly #withdrawals: Float64Array
  #second = 0
  #floorUsed = 0
  refusals = 0

  constructor(ratio: number, minPerSecond: number, ttl: number) {
    this.#ratio = ratio
    this.#minPerSecond = minPerSecond
    this.#buckets = Math.max(1, Math.ceil(ttl / 1000))
    this.#deposits = new Float64Array(this.#buckets)
    this.#withdrawals = new Float64Array(this.#buckets)
  }

  /** `now` is performance.now(): a budget only needs seconds that follow each other. */
  #advance(now: number): number {
    const second = Math.floor(now / 1000)
    if (second !== this.#second) {
      const gap = Math.min(second - this.#second, this.#buckets)
      for (let i = 1; i <= gap; i++) {
        const idx = (this.#second + i) % this.#buckets
        this.#deposits[idx] = 0
        this.#withdrawals[idx] = 0
      }
      this.#second = second
      this.#floorUsed = 0
    }
    return second % this.#buckets
  }

  /** Counts a request (a first attempt). */
  deposit(now: number): void {
    this.#deposits[this.#advance(now)]++
  }

  /** Takes back the deposit made at `at` for a request that was refused before it was sent. */
  refund(at: number): void {
    const second = Math.floor(at / 1000)
    this.#advance(performance.now())
    if (this.#second - second >= this.#buckets) return
    const idx = second % this.#buckets
    if (this.#deposits[idx] > 0) this.#deposits[idx]--
  }

  /** Takes one retry from the budget; false (and a refusal counted) when it is spent. */
  tryWithdraw(now: number = performance.now()): boolean {
    const idx = this.#advance(now)
    if (this.#floorUsed < this.#minPerSecond) {
      this.#floorUsed++
      return true
    }
    let deposits = 0
    let withdrawals = 0
    for (let i = 0; i < this.#buckets; i++) {
      deposits += this.#deposits[i]
      withdrawals += this.#withdrawals[i]
    }
    if (withdrawals + 1 <= deposits * this.#ratio) {
      this.#withdrawals[idx]++
      return true
    }
    this.refusals++
    return false
  }
}
