import { Readable } from 'node:stream'
import { type InspectOptionsStylized, inspect } from 'node:util'
import type { Dispatcher } from 'undici'
import { HttpStatusError, type RetryRecord } from '../errors.js'
import { redactResponseHeaders, redactUrl, type ShownQuery } from '../observe/redact.js'
import { parseRetryAfter } from '../policy/retry-after.js'

type Controller = Dispatcher.DispatchController

/** Bodies up to this size are read in full as they arrive, so the connection goes back to the pool at once. */
const EAGER_BUFFER_LIMIT = 1024 * 1024
/** Past this much, a dumped body is not worth reading to keep the connection: it is aborted instead. */
const DUMP_LIMIT = 128 * 1024
const EMPTY = Buffer.alloc(0)

enum BodyState {
  Open = 0,
  Ended = 1,
  Failed = 2,
}

enum Consumer {
  None = 0,
  Bytes = 1,
  Text = 2,
  Json = 3,
  ArrayBuffer = 4,
  Stream = 5,
  Dump = 6,
}

/** A response as logs see it (`toJSON`, `util.inspect`). */
export interface ResponseSummary {
  status: number
  statusText: string
  method: string
  url: string
  headers: Record<string, string | string[]>
  attempts: number
  retries: RetryRecord[]
}

/**
 * A response whose head has arrived. The body is buffered as it comes (up to 1 MiB eagerly, then
 * the connection is paused until someone reads), so `json()`, `text()` and `bytes()` never build a
 * stream; `body` makes one only when asked for.
 */
export class MooringResponse {
  readonly status: number
  readonly statusText: string
  readonly headers: Record<string, string | string[]>
  readonly method: string
  /** Attempts the call made, replays and retries included. */
  readonly attempts: number
  readonly retries: RetryRecord[]
  readonly #origin: string
  readonly #path: string
  #controller: Controller | null
  /** The body so far: most bodies are one chunk, held with no array; an array from the second on. */
  #chunk: Buffer | null = null
  #chunks: Buffer[] | null = null
  #size = 0
  #state = BodyState.Open
  #error: unknown = null
  #consumer = Consumer.None
  #resolve: ((value: never) => void) | null = null
  #reject: ((reason: unknown) => void) | null = null
  #stream: Readable | null = null
  /** @internal Query keys `url` shows in clear (the client's `redact.showQuery`). */
  _shownQuery: ShownQuery = null

  /** @internal */
  constructor(
    controller: Controller | null,
    status: number,
    statusText: string,
    headers: Record<string, string | string[]>,
    method: string,
    origin: string,
    path: string,
    attempts: number,
    retries: RetryRecord[],
  ) {
    this.#controller = controller
    this.status = status
    this.statusText = statusText
    this.headers = headers
    this.method = method
    this.#origin = origin
    this.#path = path
    this.attempts = attempts
    this.retries = retries
  }

  /** `Retry-After` in milliseconds from now, when the server sent one. */
  get retryAfter(): number | undefined {
    return parseRetryAfter(this.headers['retry-after'])
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300
  }

  /** The URL with credentials and secret-looking query values redacted, fit for logs. */
  get url(): string {
    return redactUrl(this.#origin + this.#path, this._shownQuery)
  }

  /** The URL as requested. */
  get rawUrl(): string {
    return this.#origin + this.#path
  }

  /** True once the body has been asked for (read, streamed or dumped). */
  get bodyUsed(): boolean {
    return this.#consumer !== Consumer.None
  }

  /** Throws `HttpStatusError` for a 4xx or 5xx status; returns the response otherwise. */
  raiseForStatus(): this {
    if (this.status >= 400) throw new HttpStatusError(this)
    return this
  }

  /**
   * What `JSON.stringify` and `util.inspect` show (a logger serialising the response): the URL
   * redacted and only safe headers in clear, as in errors. `headers` itself holds every value.
   */
  toJSON(): ResponseSummary {
    return {
      status: this.status,
      statusText: this.statusText,
      method: this.method,
      url: this.url,
      headers: redactResponseHeaders(this.headers, this._shownQuery),
      attempts: this.attempts,
      retries: this.retries,
    }
  }

  [inspect.custom](depth: number, options: InspectOptionsStylized, show: typeof inspect): string {
    return `MooringResponse ${show(this.toJSON(), { ...options, depth: options.depth === null ? null : depth })}`
  }

  text(): Promise<string> {
    return this.#consume(Consumer.Text)
  }

  json<T = unknown>(): Promise<T> {
    return this.#consume(Consumer.Json)
  }

  bytes(): Promise<Uint8Array> {
    return this.#consume(Consumer.Bytes)
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#consume(Consumer.ArrayBuffer)
  }

  /** The body as a Node stream, with backpressure down to the socket. */
  get body(): Readable {
    if (this.#stream !== null) return this.#stream
    this.#claim(Consumer.Stream)
    const stream = new Readable({
      read: () => this.#controller?.resume(),
      destroy: (err, callback) => {
        if (this.#state === BodyState.Open)
          this.#controller?.abort(err ?? new Error('response body stream destroyed'))
        callback(err)
      },
    })
    this.#stream = stream
    if (this.#chunk !== null) stream.push(this.#chunk)
    else if (this.#chunks !== null) for (const chunk of this.#chunks) stream.push(chunk)
    this.#chunk = this.#chunks = null
    if (this.#state === BodyState.Ended) stream.push(null)
    else if (this.#state === BodyState.Failed) stream.destroy(this.#error as Error)
    return stream
  }

  /** The body as a web `ReadableStream` (what `fetch` gives), over the same backpressured stream as `body`. */
  stream(): ReadableStream<Uint8Array> {
    return Readable.toWeb(this.body) as unknown as ReadableStream<Uint8Array>
  }

  /**
   * Discards the body and lets the connection go: a short remainder is read so the connection is
   * kept alive, a long one is aborted. Resolves when the body is released; never rejects.
   */
  dump(): Promise<void> {
    if (this.#consumer !== Consumer.None) {
      if (this.#consumer === Consumer.Stream && this.#stream && !this.#stream.destroyed)
        this.#stream.destroy()
      return Promise.resolve()
    }
    this.#consumer = Consumer.Dump
    this.#chunk = this.#chunks = null
    if (this.#state !== BodyState.Open) return Promise.resolve()
    if (this.#size > DUMP_LIMIT) {
      this.#controller?.abort(new Error('response body dumped'))
      return Promise.resolve()
    }
    return this.#wait()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dump()
  }

  #claim(consumer: Consumer): void {
    if (this.#consumer !== Consumer.None) throw new TypeError('the response body has already been used')
    this.#consumer = consumer
  }

  #consume<T>(consumer: Consumer): Promise<T> {
    try {
      this.#claim(consumer)
    } catch (err) {
      return Promise.reject(err)
    }
    // The common case (a small body arrives with its head): no resolvers to hold.
    if (this.#state === BodyState.Ended) {
      try {
        return Promise.resolve(this.#convert() as T)
      } catch (err) {
        return Promise.reject(err)
      }
    }
    return this.#wait()
  }

  /**
   * The one promise a reader gets. Its resolvers are held until the body leaves `Open`, and
   * `#settle` is the only code that uses them, called on every way out of `Open` (`_end`, `_fail`)
   * and at once when the body has already left it: a reader can be settled late, never forgotten.
   */
  #wait<T>(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#resolve = resolve as (value: never) => void
      this.#reject = reject
      if (this.#state === BodyState.Open) this.#controller?.resume()
      else this.#settle()
    })
  }

  /** Settles the waiting reader, if any, from the body's final state. Never throws. */
  #settle(): void {
    const resolve = this.#resolve
    const reject = this.#reject
    if (resolve === null || reject === null) return
    this.#resolve = this.#reject = null
    // dump() never rejects: a failed body is released all the same.
    if (this.#consumer === Consumer.Dump) {
      resolve(undefined as never)
      return
    }
    if (this.#state === BodyState.Failed) {
      reject(this.#error)
      return
    }
    let value: unknown
    try {
      // Throws on a body that is not JSON, or too long for a string.
      value = this.#convert()
    } catch (err) {
      reject(err)
      return
    }
    resolve(value as never)
  }

  #convert(): unknown {
    const chunks = this.#chunks
    const buf = this.#chunk ?? (chunks === null ? EMPTY : Buffer.concat(chunks, this.#size))
    this.#chunk = this.#chunks = null
    switch (this.#consumer) {
      case Consumer.Text:
        return buf.toString('utf8')
      case Consumer.Json:
        return JSON.parse(buf.toString('utf8'))
      case Consumer.ArrayBuffer:
        return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
      default:
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    }
  }

  /** @internal A body chunk arrived. */
  _push(chunk: Buffer): void {
    const consumer = this.#consumer
    if (consumer === Consumer.Stream) {
      if (!this.#stream!.push(chunk)) this.#controller?.pause()
      return
    }
    this.#size += chunk.length
    if (consumer === Consumer.Dump) {
      if (this.#size > DUMP_LIMIT) this.#controller?.abort(new Error('response body dumped'))
      return
    }
    if (this.#chunks !== null) this.#chunks.push(chunk)
    else if (this.#chunk === null) this.#chunk = chunk
    else {
      this.#chunks = [this.#chunk, chunk]
      this.#chunk = null
    }
    if (consumer === Consumer.None && this.#size > EAGER_BUFFER_LIMIT) this.#controller?.pause()
  }

  /** @internal The body is complete. */
  _end(): void {
    if (this.#state !== BodyState.Open) return
    this.#state = BodyState.Ended
    this.#controller = null
    if (this.#stream !== null) this.#stream.push(null)
    else this.#settle()
  }

  /** @internal The body failed: aborted, timed out, connection lost. */
  _fail(error: unknown): void {
    if (this.#state !== BodyState.Open) return
    this.#state = BodyState.Failed
    this.#error = error
    this.#controller = null
    this.#chunk = this.#chunks = null
    if (this.#stream !== null) this.#stream.destroy(error as Error)
    else this.#settle()
  }
}
