import { unrefTimer } from './timers.js'

/** Something with deadlines, checked on every tick while it is registered. */
export interface DeadlineHolder {
  checkDeadlines(now: number): void
  /** The sweeper's links: the holders form an intrusive list, so registering allocates nothing. */
  _sweepPrev: DeadlineHolder | null
  _sweepNext: DeadlineHolder | null
  _swept: boolean
}

const TICK_MS = 25
/** No tick for this long while holders wait: the interval is gone (see `add`), make another. */
const STALLED_MS = 20 * TICK_MS

/**
 * One coarse timer for every in-flight call's pool and total deadlines. A `setTimeout` per call (or
 * an AbortSignal.timeout) costs an allocation and a timer-list insert and removal on every request;
 * here registering is a list insert. Deadlines fire up to TICK_MS late, which is nothing next to
 * timeouts measured in seconds. The interval runs only while something is registered, and is
 * unref'd where timers can be, so it never keeps a process alive.
 *
 * On Cloudflare Workers a timer belongs to the request that set it and is cancelled when that
 * request ends, however it was set: an interval started by one request can die while holders of
 * later requests wait. So `add` checks the last tick, and starts a new interval when it is overdue.
 *
 * A linked list through the holders, not a Set: a long-lived Set that every call enters and leaves
 * makes V8 promote each call's whole object graph to the old generation (7× the promoted bytes,
 * 3× the scavenge time in bench/), which costs more CPU per request than the rest of Mooring.
 */
class DeadlineSweeper {
  #head: DeadlineHolder | null = null
  #size = 0
  #timer: ReturnType<typeof setInterval> | undefined
  #lastTick = 0

  add(holder: DeadlineHolder, now: number): void {
    if (holder._swept) return
    holder._swept = true
    holder._sweepPrev = null
    holder._sweepNext = this.#head
    if (this.#head !== null) this.#head._sweepPrev = holder
    this.#head = holder
    this.#size++
    if (this.#timer === undefined || now - this.#lastTick > STALLED_MS) this.#start(now)
  }

  #start(now: number): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#lastTick = now
    this.#timer = setInterval(this.#tick, TICK_MS)
    unrefTimer(this.#timer)
  }

  delete(holder: DeadlineHolder): void {
    if (!holder._swept) return
    holder._swept = false
    const prev = holder._sweepPrev
    const next = holder._sweepNext
    if (prev !== null) prev._sweepNext = next
    else this.#head = next
    if (next !== null) next._sweepPrev = prev
    holder._sweepPrev = null
    holder._sweepNext = null
    this.#size--
  }

  readonly #tick = (): void => {
    if (this.#size === 0) {
      clearInterval(this.#timer)
      this.#timer = undefined
      return
    }
    const now = performance.now()
    this.#lastTick = now
    for (let holder = this.#head; holder !== null; ) {
      // Read first: checking may delete the holder (a call that timed out finishes).
      const next = holder._sweepNext
      holder.checkDeadlines(now)
      holder = next
    }
  }
}

export const deadlines = new DeadlineSweeper()
