import { AsyncLocalStorage } from 'node:async_hooks'
import type { Hooks } from '@mooring/core'
import type { Logger } from 'pino'

/** The inbound request's logger (a pino child that carries its request id), entered per request. */
export const requestLogger = new AsyncLocalStorage<Logger>()

/**
 * Hooks that log one line per outbound call on the inbound request's logger: the call, how many
 * attempts it took and why it was retried; a failure at `warn` with its error code. URLs come
 * redacted (no credentials, no secret-looking query values) and no header is logged.
 */
export function pinoHooks(fallback: Logger): Hooks {
  const log = (): Logger => requestLogger.getStore() ?? fallback
  return {
    onResponse(e) {
      log().info(
        {
          upstream: e.url,
          method: e.method,
          status: e.status,
          attempts: e.attempts,
          retries: e.retries.map((r) => r.reason),
          ms: Math.round(e.duration),
        },
        'upstream call',
      )
    },
    onError(e) {
      log().warn(
        {
          upstream: e.url,
          method: e.method,
          error: e.error.code,
          attempts: e.attempts,
          retries: e.retries.map((r) => r.reason),
          ms: Math.round(e.duration),
        },
        'upstream call failed',
      )
    },
  }
}
