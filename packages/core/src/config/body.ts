import { Readable } from 'node:stream'
import { FormData as UndiciFormData } from 'undici'

/** What a request body may be. */
export type BodyInput =
  | string
  | Uint8Array
  | ArrayBuffer
  | URLSearchParams
  | FormData
  | UndiciFormData
  | Blob
  | Readable
  | AsyncIterable<Uint8Array | string>
  | null

export type DispatchBody =
  | string
  | Uint8Array
  | Readable
  | AsyncIterable<Uint8Array | string>
  | FormData
  | null

export interface PreparedBody {
  body: DispatchBody
  /** The content type the body implies, when the caller set none. */
  contentType: string | undefined
  /** The body can be sent again on a retry or a stale-connection replay. */
  replayable: boolean
}

const JSON_TYPE = 'application/json'
const FORM_TYPE = 'application/x-www-form-urlencoded;charset=UTF-8'

export function prepareBody(body: unknown, json: unknown, hasJson: boolean): PreparedBody | string {
  if (hasJson) {
    if (body !== undefined) return 'only one of `body` and `json`'
    let text: string
    try {
      text = JSON.stringify(json)
    } catch {
      return 'a value JSON.stringify can serialise (no cycle, no BigInt)'
    }
    return { body: text, contentType: JSON_TYPE, replayable: true }
  }
  if (body === undefined || body === null) return { body: null, contentType: undefined, replayable: true }
  if (typeof body === 'string') return { body, contentType: 'text/plain;charset=UTF-8', replayable: true }
  if (body instanceof Uint8Array) return { body, contentType: undefined, replayable: true }
  if (body instanceof ArrayBuffer)
    return { body: new Uint8Array(body), contentType: undefined, replayable: true }
  if (body instanceof URLSearchParams)
    return { body: body.toString(), contentType: FORM_TYPE, replayable: true }
  // undici encodes FormData itself (multipart with its own boundary); it can be encoded again on a retry.
  if (body instanceof FormData || body instanceof UndiciFormData) {
    return { body: toUndiciFormData(body), contentType: undefined, replayable: true }
  }
  if (body instanceof Blob) {
    return {
      body: Readable.fromWeb(body.stream() as never),
      contentType: body.type || undefined,
      replayable: false,
    }
  }
  if (body instanceof Readable) return { body, contentType: undefined, replayable: false }
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    return { body: body as AsyncIterable<Uint8Array>, contentType: undefined, replayable: false }
  }
  return 'a string, Uint8Array, ArrayBuffer, URLSearchParams, FormData, Blob, Readable or async iterable'
}

/**
 * undici encodes only its own FormData class; Node's global one comes from another copy of undici
 * and fails deep in the encoder (undici#4212), so its entries are copied into undici's.
 */
function toUndiciFormData(form: FormData | UndiciFormData): FormData {
  if (form instanceof UndiciFormData) return form as unknown as FormData
  const copy = new UndiciFormData()
  for (const [name, value] of form) {
    if (typeof value === 'string') copy.append(name, value)
    else copy.append(name, value, value.name)
  }
  return copy as unknown as FormData
}
