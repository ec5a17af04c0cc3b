import type { BodyInput } from '../config/body.js'
import type { MooringRequestInit } from '../client/client.js'
import type { HeaderRecord } from '../config/headers.js'
import { MooringResponse } from '../call/response.js'

/** The last step of a middleware chain: sends the request through the client or scope that made it. */
export type SendRequest = (request: MooringRequest) => Promise<MooringResponse>

/** What `request.respond()` builds a response from. */
export interface RespondInit {
  status: number
  statusText?: string
  headers?: Record<string, string | string[]>
  body?: string | Uint8Array
}

/**
 * A request as middleware sees it. Each middleware gets its own copy (`next` copies what it is
 * given), so a change made below never shows in the copy a middleware keeps to call `next` again.
 *
 * `url` is absolute, with this request's own query; `headers` are this request's own, lower-cased
 * (a `json` body already serialised, its content type set). The client's and scope's default headers
 * and query are added after the last middleware, and only when the URL is still on the base origin;
 * a URL changed to another origin is checked against `allowedOrigins` as any request's.
 */
export class MooringRequest {
  method: string
  url: string
  headers: HeaderRecord
  body: BodyInput | undefined
  /** The call's other options (timeout, retry, signal, …), as given. */
  readonly init: Readonly<MooringRequestInit>
  /** @internal The client or scope the call was made on. */
  readonly _client: object
  /** @internal */
  readonly _send: SendRequest

  /** @internal Made by the client for a call through middleware. */
  constructor(
    client: object,
    send: SendRequest,
    method: string,
    url: string,
    headers: HeaderRecord,
    body: BodyInput | undefined,
    init: Readonly<MooringRequestInit>,
  ) {
    this._client = client
    this._send = send
    this.method = method
    this.url = url
    this.headers = headers
    this.body = body
    this.init = init
  }

  /** The signal the call was given, if any. */
  get signal(): AbortSignal | undefined {
    return this.init.signal
  }

  /** A copy whose headers can be changed without touching this one's (the body is shared). */
  clone(): MooringRequest {
    return new MooringRequest(
      this._client,
      this._send,
      this.method,
      this.url,
      copyHeaders(this.headers),
      this.body,
      this.init,
    )
  }

  /** A response made here, without sending anything: what a middleware answering from a cache returns. */
  respond(init: RespondInit): MooringResponse {
    const url = new URL(this.url)
    const response = new MooringResponse(
      null,
      init.status,
      init.statusText ?? '',
      init.headers ?? {},
      this.method,
      url.origin,
      url.pathname + url.search,
      0,
      [],
    )
    const body = init.body
    if (body !== undefined && body.length > 0) {
      response._push(
        typeof body === 'string'
          ? Buffer.from(body)
          : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      )
    }
    response._end()
    return response
  }
}

function copyHeaders(headers: HeaderRecord): HeaderRecord {
  const out: HeaderRecord = {}
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue
    const value = headers[name]
    out[name] = Array.isArray(value) ? [...value] : value
  }
  return out
}
