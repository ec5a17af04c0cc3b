import type { OutgoingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import type { AppResponse, ResponseHeaders } from '../in-process/controller.js'
import { InProcessTransport } from '../in-process/transport.js'
import type { InProcessRequest } from '../in-process/request.js'

/** The part of a light-my-request response this transport reads (Fastify's `inject` answers the same). */
export interface InjectedResponse {
  statusCode: number
  statusMessage: string
  headers: OutgoingHttpHeaders
  /** With `payloadAsStream`, the body as the app writes it. */
  stream(): Readable
}

/**
 * The options this transport passes to an `inject`: the subset of light-my-request's `InjectOptions`
 * it uses, written out so the published types do not need light-my-request installed.
 */
export interface InjectRequest {
  method: string
  url: string
  authority: string
  headers: InProcessRequest['headers']
  payload: Buffer | undefined
  signal: AbortSignal
  payloadAsStream: true
}

/** light-my-request's `inject` bound to an app, or a Fastify instance's own. */
export type Inject = (options: InjectRequest) => PromiseLike<InjectedResponse>

function headerRecord(headers: OutgoingHttpHeaders): ResponseHeaders {
  const out: ResponseHeaders = {}
  for (const name of Object.keys(headers)) {
    const value = headers[name]
    if (value === undefined) continue
    out[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value)
  }
  return out
}

/**
 * Sends requests into a Node app through light-my-request: a fake IncomingMessage and
 * ServerResponse, no socket. The response body is streamed as the app writes it
 * (`payloadAsStream`), and the call's abort destroys the app's request, as a client hanging up does.
 */
export class InjectTransport extends InProcessTransport {
  readonly #inject: Inject

  constructor(inject: Inject) {
    super()
    this.#inject = inject
  }

  protected async serve(request: InProcessRequest, signal: AbortSignal): Promise<AppResponse> {
    const response = await this.#inject({
      method: request.method,
      url: request.url,
      // The Host header a socket client sends: no default port.
      authority: new URL(request.url).host,
      headers: request.headers,
      payload:
        request.body === null
          ? undefined
          : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength),
      signal,
      payloadAsStream: true,
    })
    return {
      status: response.statusCode,
      statusText: response.statusMessage,
      headers: headerRecord(response.headers),
      body: Readable.toWeb(response.stream()) as ReadableStream<Uint8Array>,
    }
  }
}
