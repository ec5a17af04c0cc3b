import { ConfigError } from '../errors.js'
import { toHeaderRecord } from '../config/headers.js'
import type { HeadersInput } from '../config/options.js'
import { expectObject, isPlainObject } from '../config/validate.js'
import type { Response as UndiciResponse } from 'undici'
import type { AppResponse } from '../in-process/controller.js'
import { FetchTransport, isResponse, transportError } from '../in-process/fetch.js'
import type { InProcessRequest } from '../in-process/request.js'

/** A response given by its parts; `json` is serialised and typed `application/json` unless `headers` say otherwise. */
export interface MockResponseParts {
  /** Default 200. */
  status?: number
  statusText?: string
  /** As a client's headers: a record (undefined values left out, arrays repeated), a Headers, or pairs. */
  headers?: HeadersInput
  body?: string | Uint8Array
  json?: unknown
}

/** A web Response (Node's own, or the undici package's), or its parts. */
export type MockReply = Response | UndiciResponse | MockResponseParts

/** Answers a request; throwing makes the call fail like a connection error (give the error a `code`, e.g. `ECONNRESET`). */
export type MockHandler = (request: Request) => MockReply | Promise<MockReply>

/** One request the mock received. */
export interface MockCall {
  method: string
  /** The absolute URL, query included. */
  url: string
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>
  /** The body as UTF-8 text; `''` when there was none. */
  body: string
}

export interface MockTransportOptions {
  /** How many calls `calls` keeps, the newest; older ones are dropped. Default 1000; `Infinity` keeps all. */
  historyLimit?: number
}

const OPTION_KEYS = ['historyLimit']
const PART_KEYS = new Set(['status', 'statusText', 'headers', 'body', 'json'])
const DEFAULT_HISTORY_LIMIT = 1000
const utf8 = new TextDecoder()

function badReply(problem: string): Error {
  return transportError('ERR_INVALID_MOCK_REPLY', `mock handler: ${problem}`)
}

function toResponse(reply: unknown): Response {
  if (isResponse(reply)) return reply as Response
  if (!isPlainObject(reply)) {
    throw badReply(
      `expected a Response or { status, headers, body | json }, got ${reply === null ? 'null' : typeof reply}`,
    )
  }
  for (const key of Object.keys(reply)) {
    if (!PART_KEYS.has(key))
      throw badReply(`unknown response part \`${key}\` (expected ${[...PART_KEYS].join(', ')})`)
  }
  const parts = reply as MockResponseParts
  const headers = new Headers()
  if (parts.headers !== undefined) {
    const record = toHeaderRecord(parts.headers, (problem) => {
      throw badReply(problem)
    })
    for (const name of Object.keys(record)) {
      for (const value of ([] as string[]).concat(record[name])) headers.append(name, value)
    }
  }
  let body: string | Uint8Array | null = parts.body ?? null
  if (parts.json !== undefined) {
    if (body !== null) throw badReply('give either `body` or `json`, not both')
    body = JSON.stringify(parts.json)
    if (!headers.has('content-type')) headers.set('content-type', 'application/json')
  } else if (body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw badReply('`body` must be a string or Uint8Array')
  }
  return new Response(body as string | Uint8Array<ArrayBuffer> | null, {
    status: parts.status ?? 200,
    statusText: parts.statusText,
    headers,
  })
}

function toCall(request: InProcessRequest): MockCall {
  const headers: Record<string, string> = {}
  for (const name of Object.keys(request.headers)) {
    const value = request.headers[name]
    headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  const body = request.body === null ? '' : utf8.decode(request.body)
  return { method: request.method, url: request.url, headers, body }
}

/**
 * A transport with no server behind it: `handler` answers every request, and `calls` records them,
 * so code that uses a client can be tested without any socket.
 */
export class MockTransport extends FetchTransport {
  readonly #calls: MockCall[] = []
  readonly #historyLimit: number

  constructor(handler: MockHandler, options: MockTransportOptions = {}) {
    if (typeof handler !== 'function') {
      throw new ConfigError('handler', handler, 'a function (request: Request) => Response | response parts')
    }
    const o = expectObject('options', options, OPTION_KEYS) as MockTransportOptions
    let historyLimit = DEFAULT_HISTORY_LIMIT
    if (o.historyLimit !== undefined) {
      const limit = o.historyLimit
      if (
        typeof limit !== 'number' ||
        limit < 0 ||
        !(Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY)
      ) {
        throw new ConfigError('options.historyLimit', limit, 'an integer >= 0 or Infinity')
      }
      historyLimit = limit
    }
    super(async (request) => toResponse(await handler(request)))
    this.#historyLimit = historyLimit
  }

  /** The requests received, oldest first. */
  get calls(): readonly MockCall[] {
    return this.#calls
  }

  /** The most recent request, if any. */
  get lastCall(): MockCall | undefined {
    return this.#calls[this.#calls.length - 1]
  }

  clearCalls(): void {
    this.#calls.length = 0
  }

  protected override serve(request: InProcessRequest, signal: AbortSignal): Promise<AppResponse> {
    // Recorded before the handler runs, in arrival order, so a handler that throws is still on record.
    if (this.#historyLimit > 0) {
      if (this.#calls.length >= this.#historyLimit) this.#calls.shift()
      this.#calls.push(toCall(request))
    }
    return super.serve(request, signal)
  }
}

/** A transport whose answers come from `handler`, with a history of the calls (see `MockTransport`). */
export function mockTransport(handler: MockHandler, options?: MockTransportOptions): MockTransport {
  return new MockTransport(handler, options)
}
