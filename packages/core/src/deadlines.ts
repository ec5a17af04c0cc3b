/** Something with deadlines, checked on every tick while it is registered. */
export interface DeadlineHolder {
  checkDeadlines(now: number): void
}

const TICK_MS = 25

/**
 * One coarse timer for every in-flight call's pool and total deadlines. A `setTimeout` per call (or
 * an AbortSignal.timeout) costs an allocation and a timer-list insert and removal on every request;
 * here registering is a Set insert. Deadlines fire up to TICK_MS late, which is nothing next to
 * timeouts measured in seconds. The interval runs only while something is registered, and is
 * unref'd so it never keeps a process alive.
 */
class DeadlineSweeper {
  readonly #holders = new Set<DeadlineHolder>()
  #timer: NodeJS.Timeout | undefined

  add(holder: DeadlineHolder): void {
    this.#holders.add(holder)
    if (this.#timer === undefined) {
      this.#timer = setInterval(this.#tick, TICK_MS)
      this.#timer.unref()
    }
  }

  delete(holder: DeadlineHolder): void {
    this.#holders.delete(holder)
  }

  readonly #tick = (): void => {
    if (this.#holders.size === 0) {
      clearInterval(this.#timer)
      this.#timer = undefined
      return
    }
    const now = performance.now()
    for (const holder of this.#holders) holder.checkDeadlines(now)
  }
}

export const deadlines = new DeadlineSweeper()
