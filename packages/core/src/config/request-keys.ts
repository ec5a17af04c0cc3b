import { ConfigError } from '../errors.js'

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
