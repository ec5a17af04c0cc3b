import { prepareBody } from '../config/body.js'
import {
  type HeaderRecord,
  overHeaders,
  serializeQuery,
  withoutDefaultHeaders,
  withoutDefaultQuery,
} from '../config/headers.js'
import { wantsAutoKey } from '../config/plan.js'
import type { MooringRequestInit } from '../config/request.js'
import type { ScopeConfig } from '../config/scope.js'
import { appendQuery, resolveTarget } from '../config/target.js'
import { ConfigError, RequestRejectedError } from '../errors.js'
import { redactUrl } from '../observe/redact.js'
import { randomUUID } from 'node:crypto'
import { MooringRequest, type SendRequest } from './request.js'

const NO_HEADERS: HeaderRecord = Object.freeze({}) as HeaderRecord

/**
 * The request middleware sees, as it would be sent: absolute URL with the default query and its
 * own, the default headers under its own, a json body serialised, an automatic idempotency key
 * (made here, so a middleware that calls next() again sends the same key: the same operation).
 */
export function toMiddlewareRequest(
  scope: ScopeConfig,
  client: object,
  send: SendRequest,
  method: string,
  path: string,
  init: MooringRequestInit,
): MooringRequest {
  if (typeof path !== 'string') throw new ConfigError('path', path, 'a string')
  const base = scope.client.target
  const shown = scope.client.shownQuery
  const target = resolveTarget(base, path)
  if (typeof target === 'string')
    throw new RequestRejectedError({ method, url: redactUrl(path, shown) }, target)
  const query = target.home ? serializeQuery(init.query, scope.query) : serializeQuery(init.query)
  const url = target.origin + appendQuery(target.path, query)
  let headers: HeaderRecord = target.home || base === undefined ? scope.headers : NO_HEADERS
  if (init.headers !== undefined && (init.headers === null || typeof init.headers !== 'object')) {
    throw new ConfigError('headers', init.headers, 'an object of headers')
  }
  headers = overHeaders(headers, init.headers ?? NO_HEADERS, (problem) => {
    throw new RequestRejectedError({ method, url: redactUrl(url, shown) }, problem)
  })
  let body = init.body
  if (init.json !== undefined) {
    const prepared = prepareBody(init.body, init.json, true)
    if (typeof prepared === 'string') throw new ConfigError('json', init.json, prepared)
    body = prepared.body as string
    headers['content-type'] ??= prepared.contentType!
  }
  if (wantsAutoKey(scope, init, method) && headers['idempotency-key'] === undefined) {
    headers['idempotency-key'] = randomUUID()
  }
  return new MooringRequest(client, send, method, url, headers, body, init)
}

/**
 * The request as the last middleware left it, as `planRequest` takes it (with `final`: the defaults
 * are in it already). Moved off the base origin, the defaults it carried stay home, as they do for
 * any call; what a middleware set itself goes.
 */
export function fromMiddlewareRequest(
  scope: ScopeConfig,
  request: MooringRequest,
): { url: string; init: MooringRequestInit } {
  const base = scope.client.target
  let url = request.url
  let headers = request.headers
  if (
    base !== undefined &&
    typeof url === 'string' &&
    (scope.query !== '' || Object.keys(scope.headers).length > 0)
  ) {
    const target = resolveTarget(base, url)
    if (typeof target !== 'string' && !target.home) {
      headers = withoutDefaultHeaders(headers, scope.headers)
      url = withoutDefaultQuery(url, scope.query)
    }
  }
  const init: MooringRequestInit = {
    ...request.init,
    query: undefined,
    headers,
    body: request.body,
    json: undefined,
    // Applied once, after the outermost middleware: middleware sees every status as a response.
    raiseForStatus: false,
  }
  return { url, init }
}
