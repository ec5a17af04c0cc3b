import { type Dispatcher, Pool } from 'undici'

type Held = [Dispatcher.DispatchOptions, Dispatcher.DispatchHandler]

/**
 * A Pool for an `http2` client that makes one connection at a time while it has none. undici 7's
 * Pool opens a new connection for every request that arrives while its connections are still
 * connecting (a client with a pending request counts as busy until ALPN is done), so a cold burst
 * of 50 calls opened 50 TLS connections where one h2 session serves them all. Here the first call
 * of a cold pool goes at once and the rest wait for its connection: once it is up they all go, and
 * the Pool puts them on the h2 session (or, when the server said HTTP/1.1, opens what it needs as
 * usual). On `connectionError` they go too, each to try for itself. Hand-written: undici has no
 * option for it (a Pool's `connections` limit would cap HTTP/1.1 fallbacks too).
 */
export class ColdStartPool extends Pool {
  /** Calls waiting for the first connection; null when the pool is warm. */
  #held: Held[] | null = null
  #cold = true

  constructor(origin: string | URL, options: Pool.Options) {
    super(origin, options)
    this.on('connect', this.#warmed)
    this.on('connectionError', this.#release)
    this.on('disconnect', this.#cooled)
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (!this.#cold) return super.dispatch(options, handler)
    if (this.#held === null) {
      // The first call of a cold pool: it opens the connection the others will share.
      this.#held = []
      return super.dispatch(options, handler)
    }
    this.#held.push([options, handler])
    return true
  }

  // Held calls go to the pool before it closes, so close() waits for them as for any other.
  override close(): Promise<void>
  override close(callback: () => void): void
  override close(...args: unknown[]): Promise<void> | void {
    this.#release()
    return (super.close as (...a: unknown[]) => Promise<void> | void)(...args)
  }

  override destroy(): Promise<void>
  override destroy(err: Error | null): Promise<void>
  override destroy(callback: () => void): void
  override destroy(err: Error | null, callback: () => void): void
  override destroy(...args: unknown[]): Promise<void> | void {
    this.#release()
    return (super.destroy as (...a: unknown[]) => Promise<void> | void)(...args)
  }

  /**
   * `connect` comes before the new connection takes its first request and says it has room (undici
   * marks it busy until then, and the Pool would open another for each held call): send the held
   * calls on the next turn, when it has.
   */
  readonly #warmed = (): void => {
    this.#cold = false
    if (this.#held !== null) setImmediate(this.#release)
  }

  /** Sends the held calls on; after a failed connect each tries for itself, and the pool stays cold. */
  readonly #release = (): void => {
    const held = this.#held
    this.#held = null
    if (held === null) return
    for (const [options, handler] of held) super.dispatch(options, handler)
  }

  /** Once no connection is left, the next burst starts cold again. */
  readonly #cooled = (): void => {
    if (this.stats.connected === 0) this.#cold = true
  }
}
