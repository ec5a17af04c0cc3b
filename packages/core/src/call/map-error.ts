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
import { errorCode, isLocalRefusal, wasNotSent } from '../policy/error-kind.js'

export { errorCode, H2_NOT_PROCESSED, isLocalRefusal, wasNotSent } from '../policy/error-kind.js'

/**
 * Turns what undici or a transport failed with into Mooring's typed errors. `started` says whether
 * the request reached a connection (undici called onRequestStart): before that nothing was sent.
 */
export function mapError(
  err: unknown,
  request: MooringRequestInfo,
  started: boolean,
  timeouts: NormalizedTimeouts,
): MooringError {
  if (err instanceof MooringError) return err
  if (isLocalRefusal(err)) {
    // undici's messages name the argument (`invalid upgrade header`), never a header's value.
    return new RequestRejectedError(request, `undici refused the request (${(err as Error).message})`)
  }
  if (isDecodeError(err)) return new ResponseDecodeError(request, err)
  const code = errorCode(err)
  const delivery: Delivery = wasNotSent(err, started) ? 'not-sent' : 'maybe'
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new TimeoutError('connect', timeouts.connect, request, 'not-sent', err)
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new TimeoutError('headers', timeouts.headers, request, delivery, err)
    case 'UND_ERR_BODY_TIMEOUT':
      return new TimeoutError('body', timeouts.body, request, delivery, err)
    default:
      return new ConnectionError(code, delivery, request, err)
  }
}
