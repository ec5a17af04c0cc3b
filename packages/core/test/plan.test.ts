import { ConfigError, RequestRejectedError, USER_AGENT } from '@mooring/core'
import { ACCEPT_ENCODING } from '../src/features/decompress.js'
import { describe, expect, it } from 'vitest'
import { resolveClient } from '../src/config/options.js'
import { planRequest } from '../src/config/plan.js'
import { deriveScope, rootScope } from '../src/config/scope.js'
import { client, upstream } from './support/fixtures.js'

/** What every client sends its base origin unless told otherwise (features/user-agent.ts). */
const DEFAULTS = { 'user-agent': USER_AGENT, 'accept-encoding': ACCEPT_ENCODING }

/** A root scope config with no dispatcher behind it: planning needs no socket. */
const scopeOf = (options: Parameters<typeof resolveClient>[0]) =>
  rootScope(resolveClient(options), { dispatch: () => true } as never)

describe('planRequest: options → client config → scope config → request plan, without a socket', () => {
  const scope = scopeOf({
    baseUrl: 'https://api.example.com/v1',
    headers: { authorization: 'Bearer s3cret', 'x-app': 'a' },
    query: { key: 'k' },
    allowedOrigins: ['https://cdn.example.com'],
    timeout: { total: 1_000 },
  })

  it('resolves a path under the base, with the default headers and query', () => {
    const plan = planRequest(scope, 'GET', '/users', { query: { page: 2 } }, 0)
    expect(plan).toMatchObject({
      origin: 'https://api.example.com',
      path: '/v1/users?key=k&page=2',
      method: 'GET',
      home: true,
      deadline: 1_000,
      body: null,
    })
    expect(plan.headers).toEqual({ ...DEFAULTS, authorization: 'Bearer s3cret', 'x-app': 'a' })
  })

  it('sends no default to another allowed origin, and refuses one not allowed', () => {
    const plan = planRequest(scope, 'GET', 'https://cdn.example.com/a.png', {}, 0)
    expect(plan.home).toBe(false)
    expect(plan.headers).toEqual({})
    expect(plan.path).toBe('/a.png')
    expect(() => planRequest(scope, 'GET', 'https://evil.example/', {}, 0)).toThrow(RequestRejectedError)
  })

  it('serialises json, lays request headers over the defaults, and plans a new policy for a changed call', () => {
    const plan = planRequest(scope, 'POST', '/items', { json: { a: 1 }, headers: { 'x-app': 'b' } }, 0)
    expect(plan.body).toBe('{"a":1}')
    expect(plan.headers).toEqual({
      ...DEFAULTS,
      authorization: 'Bearer s3cret',
      'x-app': 'b',
      'content-type': 'application/json',
    })
    expect(plan.policy.idempotent).toBe(false)
    // The scope's own headers object was not written to.
    expect(scope.headers['x-app']).toBe('a')
  })

  it('shares one frozen policy between plain calls; a per-call option makes its own', () => {
    const a = planRequest(scope, 'GET', '/a', {}, 0)
    const b = planRequest(scope, 'GET', '/b', {}, 5)
    expect(a.policy).toBe(b.policy)
    expect(Object.isFrozen(a.policy)).toBe(true)
    const c = planRequest(scope, 'GET', '/c', { timeout: { total: 50 } }, 0)
    expect(c.policy).not.toBe(a.policy)
    expect(c.deadline).toBe(50)
    // A scope with a deadline ends calls at it; a scope that changes no policy field shares the parent's.
    const child = deriveScope(scope, { headers: { 'x-req': '1' } })
    expect(planRequest(child, 'GET', '/d', {}, 0).policy).toBe(a.policy)
  })

  it('honours retry.budget: false per request and per scope; refuses budget settings below the client', () => {
    expect(planRequest(scope, 'GET', '/a', {}, 0).policy.budgeted).toBe(true)
    expect(planRequest(scope, 'GET', '/a', { retry: { budget: false } }, 0).policy.budgeted).toBe(false)
    expect(
      planRequest(deriveScope(scope, { retry: { budget: false } }), 'GET', '/a', {}, 0).policy.budgeted,
    ).toBe(false)
    expect(() => planRequest(scope, 'GET', '/a', { retry: { budget: { ratio: 1 } } }, 0)).toThrow(
      /retry\.budget: expected false, or no value: a retry budget is the client's/,
    )
    expect(() => deriveScope(scope, { retry: { budget: { ratio: 1 } } })).toThrow(ConfigError)
  })
})

describe('retry.budget: false per request, on a real socket', () => {
  it('retries a call that opts out while the origin budget refuses the others', async () => {
    const up = await upstream((_req, res) => {
      res.statusCode = 503
      res.end()
    })
    const http = client({
      baseUrl: up.url,
      retry: { limit: 2, backoff: { base: 0, max: 0 }, budget: { ratio: 0, minPerSecond: 0 } },
    })
    const budgeted = await http.get('/budgeted')
    expect(budgeted.attempts).toBe(1)
    expect(http.stats().origins[up.url].budgetRefusals).toBe(1)

    const free = await http.get('/free', { retry: { budget: false } })
    expect(free.status).toBe(503)
    expect(free.attempts).toBe(3)
    expect(http.stats().origins[up.url].budgetRefusals).toBe(1)
    expect(up.requests.filter((r) => r.url === '/free')).toHaveLength(3)
  })
})
