import {
  CircuitOpenError,
  ConfigError,
  createRegistration,
  createClient,
  type MooringClient,
  RequestRejectedError,
} from '@mooring/core'
import { Agent, type Dispatcher } from 'undici'
import { describe, expect, it, onTestFinished } from 'vitest'
import { client, upstream } from '../support/fixtures.js'

/**
 * A request undici would refuse to send is refused here, as a RequestRejectedError, and never counts
 * against the origin: not by the circuit breaker, not by the retry budget, not in the failure stats.
 */

const BREAKER = { consecutiveFailures: 5, halfOpenAfter: 60_000 }

/** Headers undici refuses at dispatch (InvalidArgumentError, or NotSupportedError for `expect`). */
const REFUSED: Array<[string, Record<string, string | string[]>]> = [
  ['transfer-encoding', { 'transfer-encoding': 'chunked' }],
  ['upgrade', { upgrade: 'websocket' }],
  ['keep-alive', { 'keep-alive': 'timeout=5' }],
  ['expect', { expect: '100-continue' }],
  ['connection', { Connection: 'keep-alive' }],
  ['a second host', { host: ['a.example', 'b.example'] }],
  ['a second content-length', { 'content-length': ['1', '2'] }],
  ['a content-length that is no number', { 'content-length': 'ten' }],
]

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to be refused')
    },
    (err: unknown) => err,
  )
}

function expectNothingCounted(c: MooringClient, origin: string): void {
  const stats = c.stats().origins[origin]
  expect(stats?.failed ?? 0).toBe(0)
  expect(stats?.retries ?? {}).toEqual({})
  expect(stats?.budgetRefusals ?? 0).toBe(0)
}

describe('a local refusal', () => {
  it('headers undici would refuse are RequestRejectedError before dispatch; the breaker stays closed', async () => {
    const up = await upstream()
    const c = client({ baseUrl: up.url, circuitBreaker: BREAKER })
    for (const [what, headers] of REFUSED) {
      const err = await rejection(c.post('/refused', { headers, body: 'x' }))
      expect(err, what).toBeInstanceOf(RequestRejectedError)
      // Names the header, never its value.
      expect((err as Error).message, what).toMatch(
        /header "(transfer-encoding|upgrade|keep-alive|expect|connection|host|content-length)"/,
      )
    }
    const ok = await c.get('/valid')
    expect(ok.status).toBe(200)
    await ok.dump()
    // The server saw nothing of the refused calls.
    expect(up.requests.map((r) => r.url)).toEqual(['/valid'])
    expectNothingCounted(c, up.url)
    expect(c.stats().origins[up.url].done).toBe(1)
  })

  it('as client or scope defaults they are a ConfigError; as a binding propagate, too', () => {
    expect(() => createClient({ headers: { 'transfer-encoding': 'chunked' } })).toThrow(ConfigError)
    const c = client({ baseUrl: 'http://127.0.0.1:1' })
    expect(() => c.scope({ headers: { upgrade: 'h2c' } })).toThrow(ConfigError)
    expect(() =>
      createRegistration({ client: c, propagate: ['x-request-id', 'Connection'] } as never),
    ).toThrow(/propagate: expected header names a request may send \(not connection\)/)
  })

  it('what undici still refuses at dispatch maps to RequestRejectedError, never counted against the origin', async () => {
    const up = await upstream()
    // An interceptor that adds a header undici will not send: a refusal from inside undici's
    // dispatch, past Mooring's own checks (as a header undici starts refusing in a later version).
    const agent = new Agent().compose(
      (dispatch) => (opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) => {
        const headers = opts.headers as Record<string, string>
        if (headers['x-make-upgrade'] === undefined) return dispatch(opts, handler)
        return dispatch({ ...opts, headers: { ...headers, upgrade: 'websocket' } }, handler)
      },
    )
    onTestFinished(() => agent.close())
    const c = client({ baseUrl: up.url, transport: agent, circuitBreaker: BREAKER })
    for (let i = 0; i < 6; i++) {
      const err = await rejection(c.get(`/refused/${i}`, { headers: { 'x-make-upgrade': '1' } }))
      expect(err).toBeInstanceOf(RequestRejectedError)
      expect(err).not.toBeInstanceOf(CircuitOpenError)
      expect((err as Error).message).toContain('undici refused the request (invalid upgrade header)')
    }
    const ok = await c.get('/valid')
    expect(ok.status).toBe(200)
    await ok.dump()
    expect(up.requests.map((r) => r.url)).toEqual(['/valid'])
    expectNothingCounted(c, up.url)
  })
})
