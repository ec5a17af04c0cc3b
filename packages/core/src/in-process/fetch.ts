import type { AppResponse, ResponseHeaders } from './controller.js'
import { InProcessTransport } from './transport.js'
import type { InProcessRequest } from './request.js'

/** A fetch-style app: a web `Request` in, a web `Response` out (Hono's `app.fetch`, a Worker's handler). */
export type FetchHandler = (request: Request) => Response | Promise<Response>

/** An error of an in-process transport; `code` shows up as a ConnectionError's `causeCode`. */
export function transportError(code: string, message: string): Error {
  return Object.assign(new TypeError(message), { code })
}

export function toFetchRequest(request: InProcessRequest, signal: AbortSignal): Request {
  const headers = new Headers()
  for (const name of Object.keys(request.headers)) {
    const value = request.headers[name]
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.append(name, value)
  }
  // Node's buffers are Uint8Array<ArrayBufferLike>; the DOM typings want an ArrayBuffer-backed one.
  const body = request.body as Uint8Array<ArrayBuffer> | null
  return new Request(request.url, { method: request.method, headers, body, signal })
}

export function isResponse(value: unknown): value is Response {
  if (value instanceof Response) return true
  // A Response from another copy of undici (the npm package rather than Node's own) is as good.
  const r = value as Response | null
  return (
    r !== null &&
    typeof r === 'object' &&
    typeof r.status === 'number' &&
    typeof r.headers?.get === 'function' &&
    typeof r.headers.getSetCookie === 'function' &&
    'body' in r
  )
}

function headerRecord(headers: Headers): ResponseHeaders {
  const out: ResponseHeaders = {}
  // Headers iterates with lower-case names, repeated names joined, except set-cookie (one entry each).
  for (const [name, value] of headers) if (name !== 'set-cookie') out[name] = value
  const cookies = headers.getSetCookie()
  if (cookies.length > 0) out['set-cookie'] = cookies
  return out
}

/** The head and body of a web Response, as a handler is driven with. */
export function fromFetchResponse(response: unknown, method: string): AppResponse {
  if (!isResponse(response)) {
    throw transportError(
      'ERR_INVALID_APP_RESPONSE',
      `the app must answer with a web Response, got ${response === null ? 'null' : typeof response}`,
    )
  }
  if (response.type === 'error') {
    throw transportError('ERR_APP_NETWORK_ERROR', 'the app answered with a network error (Response.error())')
  }
  let body = response.body
  if (method === 'HEAD' && body !== null) {
    // A server sends no body for HEAD whatever the app wrote.
    body.cancel().catch(() => {})
    body = null
  }
  return {
    status: response.status,
    statusText: response.statusText,
    headers: headerRecord(response.headers),
    body,
  }
}

/** Sends requests into a fetch-style handler in this process. */
export class FetchTransport extends InProcessTransport {
  readonly #handler: FetchHandler

  constructor(handler: FetchHandler) {
    super()
    this.#handler = handler
  }

  protected async serve(request: InProcessRequest, signal: AbortSignal): Promise<AppResponse> {
    const response = await this.#handler(toFetchRequest(request, signal))
    return fromFetchResponse(response, request.method)
  }
}
