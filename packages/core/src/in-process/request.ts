import type { Dispatcher } from 'undici'
import { errors, FormData as UndiciFormData, Response as UndiciResponse } from 'undici'

/** Request header names and values as they would go on the wire: lower-case names, repeated names as arrays. */
export type RequestHeaders = Record<string, string | string[]>

/** A request as an in-process app receives it: its body already read in full. */
export interface InProcessRequest {
  method: string
  /** The absolute URL: origin, path and query. */
  url: string
  headers: RequestHeaders
  body: Uint8Array | null
}

function addHeader(out: RequestHeaders, rawName: unknown, value: unknown): void {
  if (value === undefined || value === null) return
  const name = String(rawName).toLowerCase()
  const values = Array.isArray(value) ? value.map(String) : [String(value)]
  const previous = out[name]
  if (previous === undefined) out[name] = values.length === 1 ? values[0] : values
  else out[name] = ([] as string[]).concat(previous, values)
}

/** undici takes headers as a record, a flat [name, value, ...] array or an iterable of pairs. */
function readHeaders(input: Dispatcher.DispatchOptions['headers']): RequestHeaders {
  const out: RequestHeaders = {}
  if (input === undefined || input === null) return out
  if (Array.isArray(input)) {
    for (let i = 0; i + 1 < input.length; i += 2) addHeader(out, input[i], input[i + 1])
  } else if (typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of input as Iterable<[string, unknown]>) addHeader(out, name, value)
  } else {
    const record = input as Record<string, unknown>
    for (const name of Object.keys(record)) addHeader(out, name, record[name])
  }
  return out
}

function isIterable(value: object): value is Iterable<unknown> | AsyncIterable<unknown> {
  return (
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' ||
    typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function'
  )
}

interface ReadBody {
  bytes: Uint8Array
  /** The type the body carries itself (a FormData's multipart boundary, a Blob's type). */
  type: string | null
  /** The body's type replaces the caller's: a multipart body is unreadable without its own boundary. */
  typeWins: boolean
}

/**
 * The same multipart encoding undici writes on a socket, boundary and all. Node's global FormData
 * and the undici package's are different classes, each encoded by its own Response.
 */
async function encodeForm(form: FormData | UndiciFormData): Promise<ReadBody> {
  const encoded = form instanceof UndiciFormData ? new UndiciResponse(form) : new Response(form as FormData)
  return {
    bytes: new Uint8Array(await encoded.arrayBuffer()),
    type: encoded.headers.get('content-type'),
    typeWins: true,
  }
}

function bytesOf(bytes: Uint8Array): ReadBody {
  return { bytes, type: null, typeWins: false }
}

/** Reads a dispatch body (see ../body.ts) in full, as a server would before handing it to the app. */
async function readBody(body: unknown): Promise<ReadBody | null> {
  if (body === undefined || body === null) return null
  if (typeof body === 'string') return bytesOf(Buffer.from(body, 'utf8'))
  if (body instanceof Uint8Array) return bytesOf(body)
  if (ArrayBuffer.isView(body)) return bytesOf(new Uint8Array(body.buffer, body.byteOffset, body.byteLength))
  if (body instanceof ArrayBuffer) return bytesOf(new Uint8Array(body))
  if (body instanceof FormData || body instanceof UndiciFormData) return encodeForm(body)
  if (body instanceof Blob) {
    return { bytes: new Uint8Array(await body.arrayBuffer()), type: body.type || null, typeWins: false }
  }
  if (typeof body === 'object' && isIterable(body)) {
    const chunks: Buffer[] = []
    for await (const chunk of body) {
      if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, 'utf8'))
      else if (chunk instanceof Uint8Array)
        chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
      else throw new errors.InvalidArgumentError('request body chunks must be strings or Uint8Arrays')
    }
    return bytesOf(Buffer.concat(chunks))
  }
  throw new errors.InvalidArgumentError(
    'request body must be a string, Uint8Array, FormData, Blob, Readable or (async) iterable',
  )
}

/** Turns undici's dispatch options into the request an in-process app receives, reading the body in full. */
export async function readRequest(options: Dispatcher.DispatchOptions): Promise<InProcessRequest> {
  const origin = options.origin
  if (origin === undefined || origin === null) throw new errors.InvalidArgumentError('origin is required')
  const path = options.path
  if (typeof path !== 'string' || path[0] !== '/') {
    throw new errors.InvalidArgumentError('path must start with a slash')
  }
  // Concatenated, not resolved: a path like `//host/x` must not move the request to another origin.
  const url = new URL(new URL(String(origin)).origin + path).href
  const headers = readHeaders(options.headers)
  const body = await readBody(options.body)
  if (body !== null) {
    if (body.type !== null && (headers['content-type'] === undefined || body.typeWins)) {
      headers['content-type'] = body.type
    }
    if (headers['content-length'] === undefined) headers['content-length'] = String(body.bytes.byteLength)
  }
  return { method: options.method, url, headers, body: body === null ? null : body.bytes }
}
