import { timersEndWithRequest } from '../runtime/detect.js'
import { unrefTimer } from '../timers.js'

/** Something with deadlines, checked on every tick while it is registered. */
export interface DeadlineHolder {
  checkDeadlines(now: number): void
  /** The sweeper's links: the holders form an intrusive list, so registering allocates nothing. */
  _sweepPrev: DeadlineHolder | null
  _sweepNext: DeadlineHolder | null
  _swept: boolean
}

const TICK_MS = 25

/**
 * One coarse timer for every in-flight call's pool and total deadlines. A `setTimeout` per call (or
 * an AbortSignal.timeout) costs an allocation and a timer-list insert and removal on every request;
 * here registering is a list insert. Deadlines fire up to TICK_MS late, which is nothing next to
 * timeouts measured in seconds. The interval runs only while something is registered, and is
 * unref'd where timers can be, so it never keeps a process alive.
 *
 * A linked list through the holders, not a Set: a long-lived Set that every call enters and leaves
 * makes V8 promote each call's whole object graph to the old generation (7× the promoted bytes,
 * 3× the scavenge time in bench/), which costs more CPU per request than the rest of Mooring.
 *
 * On Cloudflare Workers a timer belongs to the request that set it and dies when that request ends:
 * one interval for every request's calls would die with the request that started it, and the other
 * requests' deadlines with it. There each holder gets an interval of its own, set in its request.
 */
class DeadlineSweeper {
  #head: DeadlineHolder | null = null
  #size = 0
  #timer: ReturnType<typeof setInterval> | undefined
  /** workerd: each holder's own interval (see above); null elsewhere. */
  readonly #own: Map<DeadlineHolder, ReturnType<typeof setInterval>> | null = timersEndWithRequest()
    ? new Map()
    : null

  add(holder: DeadlineHolder): void {
    if (holder._swept) return
    holder._swept = true
    if (this.#own !== null) {
      this.#own.set(
        holder,
        setInterval(() => holder.checkDeadlines(performance.now()), TICK_MS),
      )
      return
    }
    holder._sweepPrev = null
    holder._sweepNext = this.#head
    if (this.#head !== null) this.#head._sweepPrev = holder
    this.#head = holder
    this.#size++
    if (this.#timer === undefined) {
      this.#timer = setInterval(this.#tick, TICK_MS)
      unrefTimer(this.#timer)
    }
  }

  delete(holder: DeadlineHolder): void {
    if (!holder._swept) return
    holder._swept = false
    if (this.#own !== null) {
      clearInterval(this.#own.get(holder))
      this.#own.delete(holder)
      return
    }
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
    for (let holder = this.#head; holder !== null; ) {
      // Read first: checking may delete the holder (a call that timed out finishes).
      const next = holder._sweepNext
      holder.checkDeadlines(now)
      holder = next
    }
  }
}

export const deadlines = new DeadlineSweeper()
