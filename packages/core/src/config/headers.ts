import { ConfigError } from '../errors.js'
import type { HeadersInput, HeaderValue } from './options.js'
import { refusedHeaderProblem } from './refused-headers.js'
import { isPlainObject } from './validate.js'

/** Header names and values as undici takes them: lower-case names, string or string[] values. */
export type HeaderRecord = Record<string, string | string[]>

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// What undici refuses to write (CR, LF, NUL, other controls, past U+00FF): refused here first, as
// a RequestRejectedError, whatever the transport.
const FORBIDDEN_VALUE = /[^\t\x20-\x7e\x80-\xff]/

/** Returns the reason a header value is refused, never quoting the value (it may be a secret). */
function valueProblem(name: string, value: string): string | undefined {
  if (FORBIDDEN_VALUE.test(value))
    return `header ${JSON.stringify(name)} has a CR, LF, NUL or other character not allowed in its value`
  return undefined
}

/**
 * Header names seen valid, lower-cased. The same few names come with every request (an app's
 * `x-request-id`, `authorization`), so each is checked and lower-cased once; bounded, so names
 * made up per request cannot grow it.
 */
const CHECKED_NAMES = new Map<string, string>()
const CHECKED_NAMES_MAX = 1024

function checkedName(rawName: string, onProblem: (problem: string) => never): string {
  const known = CHECKED_NAMES.get(rawName)
  if (known !== undefined) return known
  if (typeof rawName !== 'string') onProblem(`header name of type ${typeof rawName} is not a string`)
  if (!TOKEN.test(rawName)) {
    onProblem(`header name ${JSON.stringify(rawName.replace(/[\r\n\0]/g, '?'))} is not a valid token`)
  }
  const name = rawName.toLowerCase()
  // Another Host sends the client's default credentials to whatever virtual host it names; fetch
  // forbids it too. The host is the URL's.
  if (name === 'host')
    onProblem('header "host" is not allowed: the host comes from the URL (baseUrl or an absolute URL)')
  if (CHECKED_NAMES.size < CHECKED_NAMES_MAX) CHECKED_NAMES.set(rawName, name)
  return name
}

function put(
  out: HeaderRecord,
  rawName: string,
  value: HeaderValue,
  onProblem: (problem: string) => never,
): void {
  if (value === undefined || value === null) return
  const name = checkedName(rawName, onProblem)
  const refused = refusedHeaderProblem(name, value)
  if (refused !== undefined) onProblem(refused)
  if (typeof value === 'string') {
    const problem = valueProblem(name, value)
    if (problem) onProblem(problem)
    out[name] = value
  } else if (typeof value === 'number' && Number.isFinite(value)) {
    out[name] = String(value)
  } else if (Array.isArray(value)) {
    const values: string[] = []
    for (const v of value as readonly unknown[]) {
      if (typeof v !== 'string') onProblem(wrongType(name, v, 'an array of strings'))
      const problem = valueProblem(name, v as string)
      if (problem) onProblem(problem)
      values.push(v as string)
    }
    out[name] = values
  } else {
    // A function would be sent as its source text, an object as "[object Object]": refused.
    onProblem(wrongType(name, value, 'a string, a finite number or an array of strings'))
  }
}

/** Why a header value of the wrong type is refused: its type, never the value (it may be a secret). */
function wrongType(name: string, value: unknown, expected: string): string {
  const type = Array.isArray(value) ? 'array' : typeof value
  return `header ${JSON.stringify(name)} has a value of type ${type}; expected ${expected}`
}

/**
 * Copies headers into a fresh record with lower-case names, refusing CR, LF, NUL, the headers the
 * connection manages, and whatever else undici would not write. `onProblem` throws the error that fits the caller (a ConfigError at
 * creation, a rejection per request).
 */
export function toHeaderRecord(
  input: HeadersInput,
  onProblem: (problem: string) => never,
  out: HeaderRecord = {},
): HeaderRecord {
  // Headers, Maps and arrays of pairs all iterate as [name, value].
  if (typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const pair of input as Iterable<readonly [string, string]>) {
      if (!Array.isArray(pair) || pair.length !== 2) onProblem('headers given as pairs must be [name, value]')
      put(out, pair[0], pair[1], onProblem)
    }
  } else {
    const record = input as Record<string, HeaderValue>
    // Own keys only: a polluted Object.prototype must not become a header. for…in with hasOwn
    // allocates no key array.
    for (const name in record) if (Object.hasOwn(record, name)) put(out, name, record[name], onProblem)
  }
  return out
}

/**
 * `input` laid over `base`: the one place where "the child's headers override the parent's" is
 * written (a scope over its parent, a prepared scope's overrides, a request over its scope).
 */
export function overHeaders(
  base: HeaderRecord,
  input: HeadersInput,
  onProblem: (problem: string) => never,
): HeaderRecord {
  return toHeaderRecord(input, onProblem, { ...base })
}

export function configHeaders(path: string, input: unknown): HeaderRecord {
  if (input === null || typeof input !== 'object') throw new ConfigError(path, input, 'an object of headers')
  return toHeaderRecord(input as HeadersInput, (problem) => {
    throw new ConfigError(path, undefined, `valid headers (${problem})`)
  })
}

const QUERY_VALUE = 'a string, number or boolean, or an array of them'
const QUERY = `URLSearchParams or a plain object whose values are each ${QUERY_VALUE}`

function appendQueryValue(params: URLSearchParams, path: string, key: string, value: unknown): void {
  if (value === undefined || value === null) return
  if (Array.isArray(value)) {
    for (const v of value) params.append(key, queryText(path, key, v))
  } else params.append(key, queryText(path, key, value))
}

/** The text of one query value; anything else (an object, a function, a symbol) is a ConfigError, not its source. */
function queryText(path: string, key: string, value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (Number.isFinite(value)) return String(value)
  }
  throw new ConfigError(`${path}.${key}`, value, QUERY_VALUE)
}

/**
 * Serialises a query (undefined and null values left out, arrays repeated) without the `?`, after
 * `defaults` (its keys replaced). Anything but a plain object or URLSearchParams is a ConfigError
 * naming `path`: a string would send `0=a&1=b`, a function its source.
 */
export function serializeQuery(query: unknown, defaults?: string, path = 'query'): string {
  if (query === undefined) return defaults ?? ''
  const params = new URLSearchParams(defaults)
  if (query instanceof URLSearchParams) {
    for (const key of new Set(query.keys())) params.delete(key)
    for (const [key, value] of query) params.append(key, value)
  } else if (isPlainObject(query)) {
    for (const key in query) {
      if (!Object.hasOwn(query, key)) continue
      params.delete(key)
      appendQueryValue(params, path, key, query[key])
    }
  } else throw new ConfigError(path, query, QUERY)
  return params.toString()
}

export function configQuery(path: string, input: unknown): string {
  return serializeQuery(input, undefined, path)
}

/** `headers` without the entries still equal to a default: what a request carried from its client. */
export function withoutDefaultHeaders(headers: HeaderRecord, defaults: HeaderRecord): HeaderRecord {
  const out: HeaderRecord = {}
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue
    const value = headers[name]
    const given = defaults[name]
    if (given !== undefined && String(given) === String(value)) continue
    out[name] = value
  }
  return out
}

/** `url` without the query pairs that came from `defaults` (a serialised query). */
export function withoutDefaultQuery(url: string, defaults: string): string {
  if (defaults === '') return url
  const q = url.indexOf('?')
  if (q === -1) return url
  const hash = url.indexOf('#', q)
  const given = new URLSearchParams(defaults)
  const kept = new URLSearchParams()
  for (const [key, value] of new URLSearchParams(url.slice(q + 1, hash === -1 ? undefined : hash))) {
    if (!given.getAll(key).includes(value)) kept.append(key, value)
  }
  const rest = kept.toString()
  return url.slice(0, q) + (rest === '' ? '' : `?${rest}`)
}
