import { ConfigError } from './errors.js'
import type { HeadersInput, HeaderValue, QueryInput } from './options.js'

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
  if (Array.isArray(value)) {
    const values: string[] = []
    for (const v of value as readonly string[]) {
      const s = headerText(name, v, onProblem)
      const problem = valueProblem(name, s)
      if (problem) onProblem(problem)
      values.push(s)
    }
    out[name] = values
    return
  }
  const s = typeof value === 'string' ? value : headerText(name, value, onProblem)
  const problem = valueProblem(name, s)
  if (problem) onProblem(problem)
  out[name] = s
}

/** `String(value)`, or a problem for a value with no string form (a null-prototype object). */
function headerText(name: string, value: unknown, onProblem: (problem: string) => never): string {
  try {
    return String(value)
  } catch {
    return onProblem(`header ${JSON.stringify(name)} has a value with no string form`)
  }
}

/**
 * Copies headers into a fresh record with lower-case names, refusing CR, LF, NUL and whatever else
 * undici would not write. `onProblem` throws the error that fits the caller (a ConfigError at
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
    for (const name in record) put(out, name, record[name], onProblem)
  }
  return out
}

export function configHeaders(path: string, input: unknown): HeaderRecord {
  if (input === null || typeof input !== 'object') throw new ConfigError(path, input, 'an object of headers')
  return toHeaderRecord(input as HeadersInput, (problem) => {
    throw new ConfigError(path, undefined, `valid headers (${problem})`)
  })
}

function appendQueryValue(params: URLSearchParams, key: string, value: QueryInput[keyof QueryInput]): void {
  if (value === undefined || value === null) return
  if (Array.isArray(value)) {
    for (const v of value) params.append(key, queryText(key, v))
  } else params.append(key, queryText(key, value))
}

/** `String(value)`; a value with no string form (a null-prototype object) is a ConfigError, not a TypeError. */
function queryText(key: string, value: unknown): string {
  try {
    return String(value)
  } catch {
    throw new ConfigError(`query.${key}`, value, 'a string, number or boolean, or an array of them')
  }
}

/** Serialises a query object (undefined and null values left out, arrays repeated) without the `?`. */
export function serializeQuery(query: QueryInput | undefined, defaults?: string): string {
  if (query === undefined) return defaults ?? ''
  const params = new URLSearchParams(defaults)
  if (query instanceof URLSearchParams) {
    for (const key of new Set(query.keys())) params.delete(key)
    for (const [key, value] of query) params.append(key, value)
  } else {
    for (const key in query) {
      params.delete(key)
      appendQueryValue(params, key, (query as Record<string, QueryInput[keyof QueryInput]>)[key])
    }
  }
  return params.toString()
}

export function configQuery(path: string, input: unknown): string {
  if (
    !(input instanceof URLSearchParams) &&
    (input === null || typeof input !== 'object' || Array.isArray(input))
  ) {
    throw new ConfigError(path, input, 'an object or URLSearchParams')
  }
  return serializeQuery(input as QueryInput)
}
