import { ConfigError } from '../errors.js'
import { MooringRequest } from '../middleware/request.js'
import type { Middleware, Next } from '../middleware/types.js'
import type { MooringResponse } from '../call/response.js'
import type { OriginState } from '../observe/stats.js'
import { isPlainObject } from '../config/validate.js'

/** `hedge: { delay, max }`: after .NET's standard hedging handler. */
export interface HedgeOptions {
  /** Milliseconds without an answer before the next hedge is sent (> 0). */
  delay: number
  /** Calls in flight at most, the first included (>= 2). Default 2: one hedge. */
  max?: number
}

const HEDGED_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])
/** Answers as bad as no answer: another hedge may still win over them. As .NET's hedging handler. */
const BAD_STATUS = (status: number) => status >= 500 || status === 408 || status === 429

/**
 * Hedging (as .NET's standard hedging handler): an idempotent call that has not answered after
 * `delay` is sent again, up to `max` in flight; the first good answer wins and the others are
 * aborted (their connection or h2 stream is closed, so the upstream sees them end). Each hedge
 * takes one retry from the origin's retry budget, so hedging cannot become a storm: when the
 * budget is spent, no hedge is sent. Middleware, innermost: every hedge is a whole call, with its
 * own retries and the caller's deadline and signal.
 */
export function hedgeMiddleware(
  options: { delay: number; max: number },
  stateOf: (origin: string) => OriginState,
): Middleware {
  return (request, next) => {
    if (!HEDGED_METHODS.has(request.method) && request.headers['idempotency-key'] === undefined) {
      return next(request)
    }
    // A body that cannot be sent twice cannot be hedged.
    const body = request.body
    if (body !== undefined && body !== null && typeof body === 'object' && Symbol.asyncIterator in body) {
      return next(request)
    }
    return race(request, next, options, stateOf(new URL(request.url).origin))
  }
}

function race(
  request: MooringRequest,
  next: Next,
  { delay, max }: { delay: number; max: number },
  state: OriginState,
): Promise<MooringResponse> {
  return new Promise<MooringResponse>((resolve, reject) => {
    const controllers: AbortController[] = []
    let pending = 0
    let settled = false
    let timer: ReturnType<typeof setTimeout> | null = null
    let fallback: { response: MooringResponse } | { error: unknown } | null = null

    const finish = (winner: number): void => {
      settled = true
      if (timer !== null) clearTimeout(timer)
      for (let i = 0; i < controllers.length; i++) {
        if (i !== winner) controllers[i]!.abort(new Error('hedge lost'))
      }
    }
    const settleLast = (): void => {
      // Every call in flight answered badly or failed: no hedge is waited for (each call retried already).
      if (settled || pending > 0) return
      finish(-1)
      if (fallback !== null && 'response' in fallback) resolve(fallback.response)
      else reject(fallback === null ? new Error('hedge: no attempt') : fallback.error)
    }
    const send = (): void => {
      const index = controllers.length
      const controller = new AbortController()
      controllers.push(controller)
      pending++
      const signal =
        request.signal === undefined
          ? controller.signal
          : AbortSignal.any([request.signal, controller.signal])
      const attempt = new MooringRequest(
        request._client,
        request._send,
        request.method,
        request.url,
        { ...request.headers },
        request.body,
        { ...request.init, signal },
      )
      next(attempt).then(
        (response) => {
          pending--
          if (settled) {
            void response.dump()
            return
          }
          if (!BAD_STATUS(response.status)) {
            finish(index)
            resolve(response)
            return
          }
          // A bad answer waits for the others; the first bad one is kept in case none is good.
          if (fallback === null || !('response' in fallback)) fallback = { response }
          else void response.dump()
          settleLast()
        },
        (error: unknown) => {
          pending--
          if (settled) return
          fallback ??= { error }
          settleLast()
        },
      )
      if (controllers.length < max) {
        timer = setTimeout(() => {
          timer = null
          if (settled) return
          // Counted as retries are: in the budget, and in stats() (`retries.hedge`, `budgetRefusals`).
          if (state.budget === null || state.budget.tryWithdraw()) {
            state.countRetry('hedge')
            send()
          } else state.budgetRefusals++
        }, delay)
      } else timer = null
    }
    send()
  })
}

export function normalizeHedge(path: string, value: unknown): { delay: number; max: number } | null {
  if (value === undefined || value === false) return null
  if (!isPlainObject(value)) throw new ConfigError(path, value, '{ delay, max? }')
  for (const key of Object.keys(value)) {
    if (key !== 'delay' && key !== 'max') throw new ConfigError(`${path}.${key}`, value[key], 'delay or max')
  }
  const { delay, max = 2 } = value
  if (typeof delay !== 'number' || !Number.isFinite(delay) || delay <= 0) {
    throw new ConfigError(`${path}.delay`, delay, 'a number of milliseconds > 0')
  }
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 2 || max > 10) {
    throw new ConfigError(`${path}.max`, max, 'an integer from 2 to 10 (calls in flight, the first included)')
  }
  return { delay, max }
}
