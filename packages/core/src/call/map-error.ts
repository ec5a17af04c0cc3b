import {
  ConnectionError,
  type Delivery,
  MooringError,
  RequestRejectedError,
  ResponseDecodeError,
  type MooringRequestInfo,
  TimeoutError,
} from '../errors.js'
import type { NormalizedTimeouts } from '../config/options.js'
import { isDecodeError } from '../features/decompress.js'
import { codeSaysNotSent, errorCode, isH2Refusal, isLocalRefusal } from '../policy/error-kind.js'
import { provedOwn } from './h2-refusal.js'

export { errorCode, H2_NOT_PROCESSED, isH2Refusal, isLocalRefusal } from '../policy/error-kind.js'

/**
 * Nothing of the request can have reached the server: no connection was made, or none was used. An
 * HTTP/2 refusal counts only when proved the call's own (h2-refusal.ts): undici hands one stream's
 * refusal to other requests too.
 */
export function wasNotSent(err: unknown, started: boolean): boolean {
  if (!started) return true
  if (isH2Refusal(err)) return provedOwn(err)
  return codeSaysNotSent(err)
}

/** What one attempt's failure says of its own delivery: a Mooring error's label, else its code's. */
export function attemptDelivery(err: unknown, started: boolean): Delivery {
  const labelled = (err as { delivery?: unknown } | null)?.delivery
  if (err instanceof MooringError && (labelled === 'not-sent' || labelled === 'maybe')) return labelled
  return wasNotSent(err, started) ? 'not-sent' : 'maybe'
}

/**
 * Turns what undici or a transport failed with into Mooring's typed errors. `started` says whether
 * the request reached a connection (undici called onRequestStart): before that nothing was sent.
 * `reached` says an earlier attempt of the same call may have reached the server: the call's
 * delivery is the worst of its attempts', so it is then `maybe` whatever the last attempt says.
 */
export function mapError(
  err: unknown,
  request: MooringRequestInfo,
  started: boolean,
  timeouts: NormalizedTimeouts,
  reached = false,
): MooringError {
  if (err instanceof MooringError) return err
  if (isLocalRefusal(err)) {
    // undici's messages name the argument (`invalid upgrade header`), never a header's value.
    return new RequestRejectedError(request, `undici refused the request (${(err as Error).message})`)
  }
  if (isDecodeError(err)) return new ResponseDecodeError(request, err)
  const code = errorCode(err)
  const delivery: Delivery = reached || !wasNotSent(err, started) ? 'maybe' : 'not-sent'
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new TimeoutError('connect', timeouts.connect, request, reached ? 'maybe' : 'not-sent', err)
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new TimeoutError('headers', timeouts.headers, request, delivery, err)
    case 'UND_ERR_BODY_TIMEOUT':
      return new TimeoutError('body', timeouts.body, request, delivery, err)
    default:
      return new ConnectionError(code, delivery, request, err)
  }
}
