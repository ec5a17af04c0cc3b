/**
 * What Mooring needs of the node:http response behind a request served by @hono/node-server, which
 * passes it as `c.env.outgoing` (its `HttpBindings`). Typed structurally so the plugin does not
 * depend on @hono/node-server nor on node:http types.
 */
interface NodeOutgoing {
  readonly closed: boolean
  readonly writableFinished: boolean
  once(event: 'close', listener: () => void): unknown
}

interface NodeIncoming {
  readonly headers: Record<string, string | string[] | undefined>
}

/** The reason a request's upstream calls are aborted with when the downstream client goes away. */
export class DownstreamClosedError extends Error {
  override name = 'DownstreamClosedError'
  constructor() {
    super('the downstream connection closed before the response was sent')
  }
}

/**
 * One request served by @hono/node-server, followed through its node:http response: its `close`
 * event is the exact moment the response is done, whether the body (a string or any stream) was
 * written to the end or the connection was lost. Following it, rather than `c.req.raw.signal` and
 * `c.res.body`, keeps node-server's fast path: reading either materialises its lazy
 * Request/Response, which costs about a third of the throughput of a small JSON route.
 */
export class NodeExchange {
  readonly headers: NodeIncoming['headers']
  /** Aborted when the connection closes before the response was written, as node-server does for its signal. */
  readonly signal: AbortSignal
  readonly #outgoing: NodeOutgoing
  readonly #controller = new AbortController()
  #onClosed: (() => void) | null = null

  constructor(incoming: NodeIncoming, outgoing: NodeOutgoing) {
    this.headers = incoming.headers
    this.signal = this.#controller.signal
    this.#outgoing = outgoing
    if (outgoing.closed) this.#closed()
    else outgoing.once('close', () => this.#closed())
  }

  #closed(): void {
    if (!this.#outgoing.writableFinished) this.#controller.abort(new DownstreamClosedError())
    const onClosed = this.#onClosed
    this.#onClosed = null
    onClosed?.()
  }

  /** Runs `fn` once the response is done (at once if it already is). */
  whenDone(fn: () => void): void {
    if (this.#outgoing.closed) fn()
    else this.#onClosed = fn
  }

  /** The exchange of a request served by @hono/node-server, from `c.env`; undefined on other runtimes. */
  static of(env: unknown): NodeExchange | undefined {
    if (env === null || typeof env !== 'object') return undefined
    const { incoming, outgoing } = env as { incoming?: unknown; outgoing?: unknown }
    if (!isNodeIncoming(incoming) || !isNodeOutgoing(outgoing)) return undefined
    return new NodeExchange(incoming, outgoing)
  }
}

function isNodeIncoming(value: unknown): value is NodeIncoming {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as NodeIncoming).headers === 'object' &&
    (value as NodeIncoming).headers !== null
  )
}

function isNodeOutgoing(value: unknown): value is NodeOutgoing {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as NodeOutgoing).once === 'function' &&
    typeof (value as NodeOutgoing).closed === 'boolean' &&
    typeof (value as NodeOutgoing).writableFinished === 'boolean'
  )
}
