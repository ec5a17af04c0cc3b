import { randomUUID } from 'node:crypto'
import type { Dispatcher } from 'undici'
import { AbortError, ConfigError, RequestRejectedError } from '../errors.js'
import type { Hooks } from '../observe/instrument.js'
import { redactUrl, type ShownQuery } from '../observe/redact.js'
import { IDEMPOTENT_METHODS, normalizeRetry, type RetryPolicy } from '../policy/retry.js'
import { type PreparedBody, prepareBody } from './body.js'
import { type HeaderRecord, overHeaders, serializeQuery } from './headers.js'
import {
  type HeadersInput,
  type NormalizedTimeouts,
  normalizeIdempotencyKey,
  normalizeMaxResponseSize,
  normalizeRedirects,
  normalizeTimeouts,
} from './options.js'
import type { MooringRequestInit } from './request.js'
import { isAbortSignal, REQUEST_TIMEOUT_KEYS, type ScopeConfig } from './scope.js'
import { appendQuery, isBasePath, resolveTarget } from './target.js'
import type { RateLimiter } from '../features/rate-limit.js'

/** How a call behaves, decided before it starts; shared by every plain call of a scope. */
export interface CallPolicy {
  readonly timeouts: NormalizedTimeouts
  readonly retry: RetryPolicy | null
  /** Retries draw on the origin's retry budget (`retry.budget` not turned off for this call). */
  readonly budgeted: boolean
  /** The method is idempotent, or the request carries an Idempotency-Key. */
  readonly idempotent: boolean
  /** The body can be sent again. */
  readonly replayable: boolean
  readonly raiseForStatus: boolean
  /** Bytes of body the call accepts; past it the call fails with ResponseTooLargeError. */
  readonly maxResponseSize: number
  /** Redirects followed at most; 0 hands 3xx responses to the caller. */
  readonly maxRedirects: number
  readonly hooks: Hooks | null
  /** Query keys shown in clear in errors and events (`redact.showQuery`). */
  readonly shownQuery: ShownQuery
  /** The client's rate limit (`rateLimit`): each attempt takes its turn from it; null when off. */
  readonly rateLimit: RateLimiter | null
  /** An encoded response is decoded (`decompress`, features/decompress.ts). */
  readonly decompress: boolean
}

/**
 * One call, planned: the request as undici's `dispatch` takes it (origin, path, method, headers,
 * body, timeouts) and what Mooring's Call needs besides. One object, made once per call, read-only
 * afterwards; the Call dispatches it as it is (undici reads only its own fields).
 */
export interface RequestPlan extends Dispatcher.DispatchOptions {
  readonly origin: string
  readonly path: string
  readonly method: Dispatcher.HttpMethod
  readonly headers: HeaderRecord
  /** The request goes to the base origin. */
  readonly home: boolean
  readonly policy: CallPolicy
  /** performance.now() time the call may not run past (`timeout.total`, the scope's deadline). */
  readonly deadline: number
  readonly callSignal: AbortSignal | undefined
  /** The request's own headers (not the defaults), for a cross-origin redirect; none when redirects are off. */
  readonly redirectHeaders: HeadersInput | undefined
}

const EMPTY_HEADERS: HeaderRecord = Object.freeze({}) as HeaderRecord

/**
 * True when every character of `path` is one undici writes (U+0021 to U+00FF, its own check). A
 * loop rather than a regular expression: paths are short, and the loop costs half as much.
 */
function writablePath(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i)
    if (c < 0x21 || c > 0xff) return false
  }
  return true
}

/**
 * The last stage of the configuration pipeline (options → client config → scope config → request
 * plan): where `path` goes, what is sent, and how the call behaves. No socket, no client state:
 * what it reads is the scope's config and `init`; it throws what the call is refused with.
 * `final`: the request came through middleware, its headers and query hold the defaults already.
 */
export function planRequest(
  scope: ScopeConfig,
  method: string,
  path: string,
  init: MooringRequestInit,
  now: number,
  final = false,
): RequestPlan {
  const client = scope.client
  const shown = client.shownQuery
  if (typeof path !== 'string') throw new ConfigError('path', path, 'a string')
  const base = client.target
  let origin: string
  let targetPath: string
  let home: boolean
  if (base !== undefined && isBasePath(path)) {
    // The hot path: a path under the base, no URL parsed, no Target allocated.
    origin = base.origin
    targetPath = base.prefix === '' ? path : base.prefix + path
    home = true
  } else {
    const target = resolveTarget(base, path)
    if (typeof target === 'string')
      throw new RequestRejectedError({ method, url: redactUrl(path, shown) }, target)
    origin = target.origin
    targetPath = target.path
    home = target.home
    const allowed = client.allowedOrigins
    if (!home && base !== undefined && allowed !== '*' && !allowed?.has(origin)) {
      throw new RequestRejectedError(
        { method, url: redactUrl(origin + targetPath, shown) },
        `the origin ${origin} is not the base origin ${base.origin} nor in allowedOrigins`,
      )
    }
  }
  const query = home && !final ? serializeQuery(init.query, scope.query) : serializeQuery(init.query)
  const requestPath = appendQuery(targetPath, query)
  // What undici would refuse to write (a space, a control character, one past U+00FF) is refused
  // here on every transport, before anything is sent.
  if (!writablePath(requestPath)) {
    throw new RequestRejectedError(
      { method, url: redactUrl(origin + requestPath, shown) },
      'the path has characters that cannot be sent (encode them)',
    )
  }

  const hasJson = init.json !== undefined
  let body: PreparedBody | undefined
  if (hasJson || (init.body !== undefined && init.body !== null)) {
    const prepared = prepareBody(init.body, init.json, hasJson)
    if (typeof prepared === 'string') throw new ConfigError(hasJson ? 'json' : 'body', init.body, prepared)
    body = prepared
  }

  const retry =
    init.retry === undefined ? scope.retry : normalizeRetry('retry', init.retry, scope.retry, 'request')
  const autoKey = wantsAutoKey(scope, init, method, retry)

  // The defaults go to the base origin only (or anywhere, with no base); elsewhere only what this request names.
  let headers = !final && (home || base === undefined) ? scope.headers : EMPTY_HEADERS
  if (init.headers !== undefined || body?.contentType !== undefined || autoKey) {
    if (init.headers !== undefined) {
      if (init.headers === null || typeof init.headers !== 'object')
        throw new ConfigError('headers', init.headers, 'an object of headers')
      headers = overHeaders(headers, init.headers, (problem) => {
        throw new RequestRejectedError({ method, url: redactUrl(origin + requestPath, shown) }, problem)
      })
    } else headers = { ...headers }
    if (body?.contentType !== undefined && headers['content-type'] === undefined) {
      headers['content-type'] = body.contentType
    }
    if (autoKey && headers['idempotency-key'] === undefined) headers['idempotency-key'] = randomUUID()
  }

  const signal = init.signal
  if (signal !== undefined) {
    if (!isAbortSignal(signal)) throw new ConfigError('signal', signal, 'an AbortSignal')
    if (signal.aborted)
      throw new AbortError({ method, url: redactUrl(origin + requestPath, shown) }, signal.reason)
  }

  const policy = callPolicy(scope, init, method, retry, headers, body)
  let deadline = now + policy.timeouts.total
  if (scope.deadline < deadline) deadline = scope.deadline
  return {
    origin,
    path: requestPath,
    method: method as Dispatcher.HttpMethod,
    headers,
    body: body === undefined ? null : (body.body as Dispatcher.DispatchOptions['body']),
    headersTimeout: policy.timeouts.headers,
    bodyTimeout: policy.timeouts.body,
    home,
    policy,
    deadline,
    callSignal: signal,
    redirectHeaders: policy.maxRedirects === 0 ? undefined : init.headers,
  }
}

/** The scope's own policy when the call changes nothing of it (made once per scope config); a new one otherwise. */
function callPolicy(
  scope: ScopeConfig,
  init: MooringRequestInit,
  method: string,
  retry: RetryPolicy | null,
  headers: HeaderRecord,
  body: PreparedBody | undefined,
): CallPolicy {
  const idempotent = (retry?.methods ?? IDEMPOTENT_METHODS).has(method)
  if (
    idempotent &&
    body === undefined &&
    retry === scope.retry &&
    init.timeout === undefined &&
    init.raiseForStatus === undefined &&
    init.maxResponseSize === undefined &&
    init.followRedirects === undefined
  ) {
    // The common call: a plain GET with the scope's settings shares one frozen policy.
    const memo = scope.memo
    if (memo.policy === null) memo.policy = Object.freeze(makePolicy(scope, init, retry, true, true))
    return memo.policy
  }
  return makePolicy(
    scope,
    init,
    retry,
    idempotent || headers['idempotency-key'] !== undefined,
    body === undefined || body.replayable,
  )
}

function makePolicy(
  scope: ScopeConfig,
  init: MooringRequestInit,
  retry: RetryPolicy | null,
  idempotent: boolean,
  replayable: boolean,
): CallPolicy {
  return {
    timeouts:
      init.timeout === undefined
        ? scope.timeouts
        : normalizeTimeouts('timeout', init.timeout, scope.timeouts, REQUEST_TIMEOUT_KEYS),
    retry,
    budgeted: retry !== null && retry.budget !== null,
    idempotent,
    replayable,
    raiseForStatus: init.raiseForStatus ?? scope.raiseForStatus,
    maxResponseSize:
      init.maxResponseSize === undefined
        ? scope.maxResponseSize
        : normalizeMaxResponseSize('maxResponseSize', init.maxResponseSize)!,
    maxRedirects:
      init.followRedirects === undefined
        ? scope.maxRedirects
        : normalizeRedirects('followRedirects', init.followRedirects)!,
    hooks: scope.client.hooks,
    shownQuery: scope.client.shownQuery,
    rateLimit: scope.client.rateLimit,
    decompress: scope.client.decodes,
  }
}

/** True when the call gets a generated Idempotency-Key: asked for, and the method is not retried without one. */
export function wantsAutoKey(
  scope: ScopeConfig,
  init: MooringRequestInit,
  method: string,
  retry: RetryPolicy | null = init.retry === undefined
    ? scope.retry
    : normalizeRetry('retry', init.retry, scope.retry, 'request'),
): boolean {
  const auto =
    init.idempotencyKey === undefined
      ? scope.autoIdempotencyKey
      : normalizeIdempotencyKey('idempotencyKey', init.idempotencyKey)
  return auto === true && !(retry?.methods ?? IDEMPOTENT_METHODS).has(method)
}
