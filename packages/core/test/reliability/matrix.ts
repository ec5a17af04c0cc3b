import type { ClientOptions, Delivery, TimeoutPhase } from '@mooring/core'
import { ca, expired, type KeyPair, server, wrongHost } from '../support/tls.js'
import * as fault from './support/faults.js'
import type { RawBehaviour } from './support/raw-upstream.js'

/**
 * The fault matrix: what Mooring does when an upstream misbehaves, for a GET and for a POST with a
 * JSON body and no Idempotency-Key. fault-matrix.soak.test.ts runs every cell against a real socket and
 * docs/RELIABILITY.md shows this same table (write-matrix.ts), so the two cannot disagree.
 */

export type Method = 'GET' | 'POST'
export const METHODS: readonly Method[] = ['GET', 'POST']

/**
 * Every cell starts from these client options; a row adds its own. `pool` bounds the wait for a
 * connection, connect included, to the sweeper's tick; undici arms `connect` on its coarse clock
 * (it fires 0.5 to 1 s late), so here it never fires first.
 */
export const BASE_OPTIONS = {
  timeout: { connect: 100, pool: 250, headers: 250, body: 250, total: 500 },
  retry: { backoff: { base: 5, max: 20 } },
  limits: { connections: 1 },
} satisfies ClientOptions

/** The request each cell makes. */
export const CALL_PATH = '/a'

interface Common {
  /** Requests the upstream received for the call. */
  sent: number
  attempts: number
  /** The reasons of the retries and replays, in order. */
  retries: readonly string[]
}

export interface ResponseOutcome extends Common {
  settles: 'response'
  status: number
  /** `Retry-After` in ms on the response, when the server asked for a wait that was not honoured. */
  retryAfter?: number
}

export interface ErrorOutcome extends Common {
  settles: 'error'
  /** `head`: the request promise rejects; `body`: the head arrived, reading the body rejects. */
  at: 'head' | 'body'
  error: 'ConnectionError' | 'TimeoutError' | 'ResponseTooLargeError' | 'TooManyRedirectsError'
  code: string
  causeCode?: string
  phase?: TimeoutPhase
  delivery?: Delivery
}

export type Outcome = ResponseOutcome | ErrorOutcome

export type Upstream =
  | { kind: 'refused' }
  | {
      kind: 'raw'
      behaviour: RawBehaviour
      /** Serve over TLS with this certificate. */
      tls?: KeyPair
      /** Speak https to a plain TCP server (a TLS handshake that never completes). */
      https?: boolean
    }

export interface Fault {
  id: string
  /** What the upstream does, as the doc states it. */
  fault: string
  upstream: Upstream
  /** Added to BASE_OPTIONS. */
  options?: ClientOptions
  /** `true`: a GET is made and read first, so the call goes out on a reused keep-alive connection. */
  warm?: boolean
  /** Runs after the warm-up call, before the call under test. */
  afterWarm?: 'wait-for-idle-close'
  expect: Record<Method, Outcome>
}

const raw = (behaviour: RawBehaviour, tls?: KeyPair): Upstream => ({ kind: 'raw', behaviour, tls })

const ok = (attempts = 1, retries: string[] = []): ResponseOutcome => ({
  settles: 'response',
  status: 200,
  sent: attempts,
  attempts,
  retries,
})

const status = (code: number, attempts: number, retryAfter?: number): ResponseOutcome => ({
  settles: 'response',
  status: code,
  sent: attempts,
  attempts,
  retries: Array.from({ length: attempts - 1 }, () => `status:${code}`),
  ...(retryAfter === undefined ? {} : { retryAfter }),
})

function connection(
  causeCode: string,
  delivery: Delivery,
  attempts: number,
  options: { at?: 'head' | 'body'; sent?: number; retried?: string } = {},
): ErrorOutcome {
  return {
    settles: 'error',
    at: options.at ?? 'head',
    error: 'ConnectionError',
    code: 'MOORING_CONNECTION',
    causeCode,
    delivery,
    sent: options.sent ?? attempts,
    attempts,
    retries: Array.from({ length: attempts - 1 }, () => options.retried ?? causeCode),
  }
}

function timeout(
  phase: TimeoutPhase,
  delivery: Delivery,
  attempts: number,
  options: { at?: 'head' | 'body'; sent?: number } = {},
): ErrorOutcome {
  return {
    settles: 'error',
    at: options.at ?? 'head',
    error: 'TimeoutError',
    code: 'MOORING_TIMEOUT',
    phase,
    delivery,
    sent: options.sent ?? attempts,
    attempts,
    retries: Array.from({ length: attempts - 1 }, () => `timeout:${phase}`),
  }
}

const both = (outcome: Outcome): Record<Method, Outcome> => ({ GET: outcome, POST: outcome })

export const FAULTS: readonly Fault[] = [
  {
    id: 'refused',
    fault: 'connection refused (nothing listens)',
    upstream: { kind: 'refused' },
    // Nothing was sent, so even a POST without an Idempotency-Key is safe to try again.
    expect: both(connection('ECONNREFUSED', 'not-sent', 3, { sent: 0 })),
  },
  {
    id: 'tls-handshake-stalls',
    fault: 'TLS handshake never completes (a TCP server that never answers)',
    upstream: { kind: 'raw', behaviour: fault.neverAnswer, https: true },
    // timeout.connect (100 ms) fires to the millisecond; nothing was sent, so any method retries.
    expect: both(timeout('connect', 'not-sent', 3, { sent: 0 })),
  },
  {
    id: 'reset-before-response',
    fault: 'reset (RST) after reading the request, before any response',
    upstream: raw(fault.resetBeforeResponse),
    expect: {
      GET: connection('ECONNRESET', 'maybe', 3),
      POST: connection('ECONNRESET', 'maybe', 1),
    },
  },
  {
    id: 'reset-once',
    fault: 'reset before the response, on the first attempt only',
    upstream: raw(fault.resetFirstOnly),
    expect: {
      GET: ok(2, ['ECONNRESET']),
      POST: connection('ECONNRESET', 'maybe', 1),
    },
  },
  {
    id: 'closed-before-response',
    fault: 'connection closed (FIN) after reading the request: an empty reply',
    upstream: raw(fault.closeBeforeResponse),
    expect: {
      GET: connection('UND_ERR_SOCKET', 'maybe', 3),
      POST: connection('UND_ERR_SOCKET', 'maybe', 1),
    },
  },
  {
    id: 'reset-mid-headers',
    fault: 'reset halfway through the response head',
    upstream: raw(fault.resetMidHeaders),
    expect: {
      GET: connection('ECONNRESET', 'maybe', 3),
      POST: connection('ECONNRESET', 'maybe', 1),
    },
  },
  {
    id: 'reset-mid-body',
    fault: 'reset after the head and 10 of 100 body bytes',
    upstream: raw(fault.resetMidBody),
    expect: both(connection('ECONNRESET', 'maybe', 1, { at: 'body' })),
  },
  {
    id: 'headers-never-come',
    fault: 'reads the request, never answers',
    upstream: raw(fault.neverAnswer),
    expect: both(timeout('headers', 'maybe', 1)),
  },
  {
    id: 'body-stalls',
    fault: 'sends the head and 10 of 100 body bytes, then nothing',
    upstream: raw(fault.stallBody),
    expect: both(timeout('body', 'maybe', 1, { at: 'body' })),
  },
  {
    id: 'body-trickles',
    fault: 'a chunked body that never ends, a byte every 20 ms',
    upstream: raw(fault.trickleBody),
    expect: both(timeout('total', 'maybe', 1, { at: 'body' })),
  },
  {
    id: 'short-body',
    fault: 'content-length 100, 10 bytes, then a clean close (FIN)',
    upstream: raw(fault.shortBody),
    expect: both(connection('UND_ERR_SOCKET', 'maybe', 1, { at: 'body' })),
  },
  {
    id: 'malformed-status-line',
    fault: 'a malformed status line (`HTTP/1.1 2x0 OK`)',
    upstream: raw(fault.malformedStatusLine),
    // undici 7 builds HTTPParserError without a code; Mooring names it UND_ERR_HTTP_PARSER.
    expect: both(connection('UND_ERR_HTTP_PARSER', 'maybe', 1)),
  },
  {
    id: 'oversized-headers',
    fault: 'a 64 KiB response header (undici allows 16 KiB)',
    upstream: raw(fault.oversizedHeaders),
    expect: both(connection('UND_ERR_HEADERS_OVERFLOW', 'maybe', 1)),
  },
  {
    id: 'reused-connection-closed',
    fault: 'a reused keep-alive connection closed (FIN) as the request arrives',
    upstream: raw(fault.dropReused('close')),
    warm: true,
    expect: {
      GET: ok(2, ['stale-connection']),
      POST: connection('UND_ERR_SOCKET', 'maybe', 1),
    },
  },
  {
    id: 'reused-connection-reset',
    fault: 'a reused keep-alive connection reset (RST) as the request arrives',
    upstream: raw(fault.dropReused('reset')),
    warm: true,
    expect: {
      GET: ok(2, ['stale-connection']),
      POST: connection('ECONNRESET', 'maybe', 1),
    },
  },
  {
    id: 'idle-connection-closed',
    fault: 'a keep-alive connection closed by the server while idle in the pool',
    upstream: raw(fault.closeWhenIdle),
    warm: true,
    afterWarm: 'wait-for-idle-close',
    expect: both(ok()),
  },
  {
    id: '503-once',
    fault: '503 once, then 200',
    upstream: raw(fault.statusOnce(503)),
    expect: { GET: ok(2, ['status:503']), POST: status(503, 1) },
  },
  {
    id: '503-storm',
    fault: '503 on every request, no `Retry-After`',
    upstream: raw(fault.storm(503)),
    expect: { GET: status(503, 3), POST: status(503, 1) },
  },
  {
    id: '429-storm',
    fault: '429 on every request, no `Retry-After`',
    upstream: raw(fault.storm(429)),
    expect: { GET: status(429, 3), POST: status(429, 1) },
  },
  {
    id: '503-storm-retry-after-0',
    fault: '503 on every request with `Retry-After: 0`',
    upstream: raw(fault.storm(503, '0')),
    expect: { GET: status(503, 3, 0), POST: status(503, 1, 0) },
  },
  {
    id: '429-retry-after-past-deadline',
    fault: '429 with `Retry-After: 1`, past the 500 ms total timeout',
    upstream: raw(fault.storm(429, '1')),
    expect: both(status(429, 1, 1_000)),
  },
  {
    id: '503-retry-after-too-long',
    fault: '503 with `Retry-After: 120`, over `maxRetryAfter` (10 s)',
    upstream: raw(fault.storm(503, '120')),
    expect: both(status(503, 1, 120_000)),
  },
  {
    id: 'tls-untrusted-ca',
    fault: 'TLS: a certificate from a CA the client does not trust',
    upstream: raw(fault.ok, server),
    expect: both(connection('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'not-sent', 1, { sent: 0 })),
  },
  {
    id: 'tls-wrong-host',
    fault: 'TLS: a trusted certificate for another host name',
    upstream: raw(fault.ok, wrongHost),
    options: { tls: { ca } },
    expect: both(connection('ERR_TLS_CERT_ALTNAME_INVALID', 'not-sent', 1, { sent: 0 })),
  },
  {
    id: 'tls-expired',
    fault: 'TLS: a trusted certificate that has expired',
    upstream: raw(fault.ok, expired),
    options: { tls: { ca } },
    expect: both(connection('CERT_HAS_EXPIRED', 'not-sent', 1, { sent: 0 })),
  },
  {
    id: 'too-large-by-length',
    fault: 'a 64 KiB body announced by content-length, `maxResponseSize: 1024`',
    upstream: raw(fault.largeBody),
    options: { maxResponseSize: 1024 },
    expect: both({
      settles: 'error',
      at: 'head',
      error: 'ResponseTooLargeError',
      code: 'MOORING_RESPONSE_TOO_LARGE',
      sent: 1,
      attempts: 1,
      retries: [],
    }),
  },
  {
    id: 'too-large-chunked',
    fault: 'a chunked 8 MiB body, `maxResponseSize: 65536`',
    upstream: raw(fault.largeChunkedBody),
    options: { maxResponseSize: 64 * 1024 },
    expect: both({
      settles: 'error',
      at: 'body',
      error: 'ResponseTooLargeError',
      code: 'MOORING_RESPONSE_TOO_LARGE',
      sent: 1,
      attempts: 1,
      retries: [],
    }),
  },
  {
    id: 'redirect-loop',
    fault: '302 from /a to /b and back, `followRedirects: 3`',
    upstream: raw(fault.redirectLoop),
    options: { followRedirects: 3 },
    expect: both({
      settles: 'error',
      at: 'head',
      error: 'TooManyRedirectsError',
      code: 'MOORING_TOO_MANY_REDIRECTS',
      sent: 4,
      attempts: 1,
      retries: [],
    }),
  },
]
