import { ConfigError } from '../errors.js'
import type { RetryOptions } from '../policy/retry.js'
import type { BodyInput } from './body.js'
import type { HeadersInput, QueryInput, RequestTimeoutOptions } from './options.js'

export interface RequestOptions {
  method?: string
  /** A path appended to `baseUrl`'s path, or an absolute URL (to the base origin, or an allowed one). */
  path: string
  query?: QueryInput
  headers?: HeadersInput
  body?: BodyInput
  /** Serialised with JSON.stringify; sets `content-type: application/json`. */
  json?: unknown
  signal?: AbortSignal
  timeout?: RequestTimeoutOptions
  raiseForStatus?: boolean
  /** This call's retries over the client's; `budget: false` keeps it off the origin's retry budget. */
  retry?: RetryOptions | false
  /** `'auto'` sends one generated key on every attempt; or set the `idempotency-key` header yourself. */
  idempotencyKey?: 'auto' | false
  /** Bytes a response body may have; `Infinity` or `false` for no limit. */
  maxResponseSize?: number | false
  followRedirects?: boolean | number
}

/** A call's options after its path, as `client.get(path, init)` takes them (not the DOM's `RequestInit`). */
export type MooringRequestInit = Omit<RequestOptions, 'path' | 'method'>

const INIT_KEYS =
  'query, headers, body, json, signal, timeout, raiseForStatus, retry, idempotencyKey, maxResponseSize, followRedirects'

/** What other clients call an option Mooring names otherwise: the hint an unknown key gets. */
const HINTS: Readonly<Record<string, string>> = {
  params: 'query',
  searchParams: 'query',
  qs: 'query',
  data: 'json (or body)',
  form: 'body: new URLSearchParams(...)',
  url: 'path',
  uri: 'path',
  baseURL: 'baseUrl, a client option',
  baseUrl: 'a client option (createClient({ baseUrl }))',
  prefixUrl: 'baseUrl, a client option',
  timeoutMs: 'timeout: { total }',
  throwHttpErrors: 'raiseForStatus',
  validateStatus: 'raiseForStatus',
  responseType: 'response.json(), text() or bytes()',
  maxRedirects: 'followRedirects',
  redirect: 'followRedirects',
  hooks: 'a client option',
  middleware: 'a client or scope option',
}

/**
 * Refuses a key a request does not know, as `createClient` refuses one it does not know: a typo
 * (`params`, `data`) would otherwise be dropped without a word. One pass over the keys, no array.
 */
export function checkRequestKeys(init: object, withTarget: boolean): void {
  for (const key in init) {
    switch (key) {
      case 'query':
      case 'headers':
      case 'body':
      case 'json':
      case 'signal':
      case 'timeout':
      case 'raiseForStatus':
      case 'retry':
      case 'idempotencyKey':
      case 'maxResponseSize':
      case 'followRedirects':
        continue
      case 'method':
      case 'path':
        if (withTarget) continue
    }
    if (!Object.hasOwn(init, key)) continue
    throw unknownKey(key, (init as Record<string, unknown>)[key], withTarget)
  }
}

function unknownKey(key: string, value: unknown, withTarget: boolean): ConfigError {
  const hint =
    !withTarget && (key === 'method' || key === 'path')
      ? 'client.request({ method, path, ... }) (the verbs take them as arguments)'
      : HINTS[key]
  const known = withTarget ? `method, path, ${INIT_KEYS}` : INIT_KEYS
  return new ConfigError(
    key,
    value,
    hint === undefined ? `a known request option (one of ${known})` : `a known request option: use ${hint}`,
  )
}
