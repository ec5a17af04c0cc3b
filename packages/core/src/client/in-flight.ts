import type { Call } from '../call/call.js'
import { Outcome } from '../call/call.js'
import { AbortError } from '../errors.js'
import type { OriginState } from '../observe/stats.js'

/**
 * The calls in flight through one client or scope, and the scopes below it with calls in flight:
 * what `abort()`, `close()` and the drain wait walk. Intrusive linked lists (through `Call._ownerNext`
 * and the busy-scope links), not Sets: tracking a call allocates nothing, and an idle scope is
 * referenced by nobody, so a scope never closed is garbage (see deadlines.ts for the same choice).
 * Also the `maxConcurrent` queue. A base class so the lists stay private to this module.
 */
export abstract class InFlight {
  readonly #up: InFlight | null
  #calls: Call | null = null
  #busyChildren: InFlight | null = null
  #busyPrev: InFlight | null = null
  #busyNext: InFlight | null = null
  /** Calls in flight here and in every scope below. */
  #active = 0
  #running = 0
  #waiting: Array<() => void> | null = null
  #drained: (() => void) | null = null

  protected constructor(parent: InFlight | null) {
    this.#up = parent
  }

  /** The first call in flight here or below started: a scope starts listening on its signal. */
  protected abstract becameBusy(): void
  /** The last one ended. */
  protected abstract becameIdle(): void

  protected get inFlightCount(): number {
    return this.#active
  }

  /** Links `call` here and counts it up the tree and on its origin. */
  protected trackCall(call: Call, state: OriginState): void {
    call._owned = true
    call._ownerNext = this.#calls
    if (this.#calls !== null) this.#calls._ownerPrev = call
    this.#calls = call
    for (let c: InFlight = this; ; ) {
      const parent = c.#up
      if (c.#active++ === 0 && parent !== null) {
        c.becameBusy()
        c.#busyPrev = null
        c.#busyNext = parent.#busyChildren
        if (parent.#busyChildren !== null) parent.#busyChildren.#busyPrev = c
        parent.#busyChildren = c
      }
      if (parent === null) break
      c = parent
    }
    state.inFlight++
  }

  /** Unlinks a settled call, counts its outcome, lets a queued call run. */
  protected untrackCall(call: Call, outcome: Outcome, queued: boolean): void {
    if (!call._owned) return
    call._owned = false
    const prevCall = call._ownerPrev
    const nextCall = call._ownerNext
    if (prevCall !== null) prevCall._ownerNext = nextCall
    else this.#calls = nextCall
    if (nextCall !== null) nextCall._ownerPrev = prevCall
    call._ownerPrev = null
    call._ownerNext = null
    const counters = call.state
    counters.inFlight--
    if (outcome === Outcome.Done) counters.done++
    else if (outcome === Outcome.Failed) counters.failed++
    if (queued) {
      this.#running--
      this.#waiting?.shift()?.()
    }
    for (let c: InFlight = this; ; ) {
      const parent = c.#up
      if (--c.#active === 0) {
        if (parent !== null) {
          c.becameIdle()
          const prev = c.#busyPrev
          const next = c.#busyNext
          if (prev !== null) prev.#busyNext = next
          else parent.#busyChildren = next
          if (next !== null) next.#busyPrev = prev
          c.#busyPrev = null
          c.#busyNext = null
        }
        c.#drained?.()
      }
      if (parent === null) break
      c = parent
    }
  }

  /** True when a call may start now under `max` (0: no limit); counts it as running. */
  protected takeSlot(max: number): boolean {
    if (max === 0) return true
    if (this.#running >= max) return false
    this.#running++
    return true
  }

  /** Resolves when a slot is free (counted as running), or at once when the queue is released. */
  protected waitForSlot(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#waiting === null) this.#waiting = []
      this.#waiting.push(resolve)
    }).then(() => {
      this.#running++
    })
  }

  /** Aborts every call here and below with `AbortError`s whose cause is `cause`; releases the queue. */
  protected abortInFlight(cause: unknown): void {
    for (let call = this.#calls; call !== null; ) {
      // Read first: aborting a call may unlink it.
      const next = call._ownerNext
      call.abort(new AbortError(call.info, cause))
      call = next
    }
    for (let child = this.#busyChildren; child !== null; ) {
      const next = child.#busyNext
      child.abortInFlight(cause)
      child = next
    }
    if (this.#waiting !== null) {
      // Queued behind maxConcurrent: let them run into the closed check and fail at once.
      const waiting = this.#waiting
      this.#waiting = null
      for (const next of waiting) next()
    }
  }

  /** Resolves when nothing is in flight here and below, or after `ms`. */
  protected waitForDrain(ms: number): Promise<void> {
    if (this.#active === 0 || ms <= 0) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      const self = this
      function done(): void {
        clearTimeout(timer)
        self.#drained = null
        resolve()
      }
      this.#drained = done
    })
  }
}
