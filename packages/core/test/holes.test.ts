import diagnosticsChannel from 'node:diagnostics_channel'
import { getEventListeners } from 'node:events'
import {
  AbortError,
  CircuitOpenError,
  ClientClosedError,
  ConfigError,
  type ErrorEvent,
  createRegistration,
  createClient,
  type MooringClient,
  RequestRejectedError,
} from '@mooring/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { client, upstream } from './support/fixtures.js'

const SECRET = 'hunter2-s3cr3t'

/** The error `make` throws, or undefined. */
function thrown(make: () => { destroy?(): unknown; close?(): unknown } | undefined): unknown {
  try {
    const made = make()
    made?.destroy?.()
  } catch (err) {
    return err
  }
  return undefined
}

describe('a host header is refused', () => {
  it('per request, before anything is sent, so default credentials reach no other virtual host', async () => {
    const up = await upstream()
    const c = client({ baseUrl: up.url, headers: { authorization: `Bearer ${SECRET}` } })
    for (const headers of [
      { host: 'admin.internal' },
      { Host: 'admin.internal' },
      [['HOST', 'x']],
    ] as const) {
      const err = await c.get('/x', { headers: headers as never }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RequestRejectedError)
      expect((err as Error).message).toContain('"host" is not allowed')
      expect((err as Error).message).not.toContain(SECRET)
    }
    expect(up.connections).toBe(0)
  })

  it('in client, scope and binding options, as a ConfigError', () => {
    const base = createClient({ baseUrl: 'http://127.0.0.1:1' })
    try {
      for (const make of [
        () => createClient({ headers: { Host: 'admin.internal' } }),
        () => base.scope({ headers: { host: 'admin.internal' } }),
        () => createRegistration({ headers: { host: 'admin.internal' } }),
      ]) {
        const err = thrown(make as never)
        expect(err).toBeInstanceOf(ConfigError)
        expect((err as ConfigError).option).toBe('headers')
        expect((err as Error).message).toContain('"host" is not allowed')
      }
      const err = thrown(() => createRegistration({ propagate: ['x-request-id', 'Host'] }) as never)
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).option).toBe('propagate')
    } finally {
      void base.destroy()
    }
  })
})

describe('a polluted Object.prototype', () => {
  it('is sent neither as a header nor as a query parameter, and breaks no option check', async () => {
    const up = await upstream()
    const proto = Object.prototype as Record<string, unknown>
    proto['x-polluted'] = 'evil'
    try {
      const c = client({ baseUrl: up.url, headers: { 'x-default': '1' }, query: { d: '1' } })
      const scope = c.scope({ headers: { 'x-scope': '1' }, query: { s: '1' } })
      await (await scope.get('/x', { headers: { 'x-own': '1' }, query: { q: '1' } })).dump()
      await (await scope.post('/y', { json: { a: 1 } })).dump()
    } finally {
      delete proto['x-polluted']
    }
    expect(up.requests.map((r) => r.url)).toEqual(['/x?d=1&s=1&q=1', '/y?d=1&s=1'])
    for (const { headers } of up.requests) {
      expect(headers['x-polluted']).toBeUndefined()
      expect(headers['x-default']).toBe('1')
      expect(headers['x-scope']).toBe('1')
    }
    expect(up.requests[0].headers['x-own']).toBe('1')
  })
})

describe('a per-request query is validated', () => {
  it('refuses what is not a plain object of values or URLSearchParams, naming query and the type', async () => {
    const up = await upstream()
    const c = client({ baseUrl: up.url })
    const cases: Array<[unknown, string, string]> = [
      ['a=1', 'query', 'got "a=1"'],
      [() => 'source', 'query', 'got a function'],
      [['a', 'b'], 'query', 'got an array'],
      [new Map([['a', '1']]), 'query', 'got an object'],
      [42, 'query', 'got 42'],
      [{ page: { nested: 1 } }, 'query.page', 'got an object'],
      [{ page: () => 1 }, 'query.page', 'got a function'],
      [{ page: [1, {}] }, 'query.page', 'got an object'],
      [{ page: Number.NaN }, 'query.page', 'got NaN'],
    ]
    for (const [query, option, got] of cases) {
      const err = await c.get('/x', { query: query as never }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).option).toBe(option)
      expect((err as Error).message).toContain('string, number or boolean')
      expect((err as Error).message).toContain(got)
      expect(() => c.scope({ query: query as never })).toThrow(ConfigError)
    }
    expect(up.connections).toBe(0)
    await (await c.get('/ok', { query: new URLSearchParams('a=1&a=2') })).dump()
    await (await c.get('/ok', { query: { a: [1, true, 'x'], b: null, c: undefined } })).dump()
    expect(up.requests.map((r) => r.url)).toEqual(['/ok?a=1&a=2', '/ok?a=1&a=true&a=x'])
  })
})

describe('a scheme-like path cannot escape the base path', () => {
  it('http:admin and its kin are refused with a clear reason; /http:admin stays under the base', async () => {
    const up = await upstream()
    const c = client({ baseUrl: `${up.url}/api/v1` })
    for (const path of [
      'http:admin',
      'HTTP:admin',
      'http:/admin',
      'https:admin?x=1',
      `http:${up.url.slice(7)}`,
    ]) {
      const err = await c.get(path).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RequestRejectedError)
      expect((err as Error).message).toContain('must be an absolute URL')
      expect((err as Error).message).toContain("start a path under the base with '/'")
    }
    const other = await c.get('users:batchGet').catch((e: unknown) => e)
    expect((other as Error).message).toContain('(users:) must be an absolute URL')
    expect(up.connections).toBe(0)
    await (await c.get('/http:admin')).dump()
    expect(up.requests.map((r) => r.url)).toEqual(['/api/v1/http:admin'])
  })
})

describe('scopes on one long-lived signal', () => {
  it('keep no listener on it while idle, however many are left unclosed', async () => {
    const up = await upstream((req, res) => {
      if (req.url !== '/hang') res.end('ok')
    })
    const c = client({ baseUrl: up.url, retry: false })
    const controller = new AbortController()
    const { signal } = controller
    const listeners = (): number => getEventListeners(signal, 'abort').length
    const scopes: MooringClient[] = []
    for (let i = 0; i < 10_000; i++) scopes.push(c.scope({ signal, headers: { 'x-n': String(i) } }))
    expect(listeners()).toBe(0)
    // A thousand of them send a call and are never closed: each listens only while its call is in flight.
    // In batches of 8: a busy scope listens, and more than 10 listeners on one signal make Node warn
    // (as undici's own request({ signal }) does for each call in flight).
    for (let i = 0; i < 1_000; i += 8) {
      await Promise.all(scopes.slice(i, i + 8).map(async (s) => (await s.get('/x')).dump()))
    }
    expect(listeners()).toBe(0)
    expect(up.requests).toHaveLength(1_000)

    // A scope with a call in flight listens once, and is aborted by the signal.
    const busy = c.scope({ signal })
    const inFlight = busy.get('/hang').catch((e: unknown) => e)
    const c2 = busy.get('/hang').catch((e: unknown) => e)
    expect(listeners()).toBe(1)
    controller.abort(new Error('shutting down'))
    expect(await inFlight).toBeInstanceOf(AbortError)
    expect(await c2).toBeInstanceOf(AbortError)
    expect(listeners()).toBe(0)
    // An idle scope, not listening, still sees the abort.
    const idle = scopes[0]
    expect(idle.closed).toBe(true)
    const refused = await scopes[1].get('/x').catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AbortError)
    expect(((refused as AbortError).cause as Error).message).toBe('shutting down')
    expect(() => scopes[2].scope()).toThrow()
  })
})

describe('a call refused before it starts', () => {
  it('is reported to the error hook and on mooring:error', async () => {
    const up = await upstream((_req, res) => res.writeHead(500).end())
    const hooked: ErrorEvent[] = []
    const published: ErrorEvent[] = []
    const onPublish = (message: unknown): void => {
      published.push(message as ErrorEvent)
    }
    diagnosticsChannel.subscribe('mooring:error', onPublish)
    onTestFinished(() => {
      diagnosticsChannel.unsubscribe('mooring:error', onPublish)
    })
    const c = client({
      baseUrl: up.url,
      retry: false,
      circuitBreaker: { consecutiveFailures: 1 },
      hooks: { onError: (e) => hooked.push(e) },
    })
    const refusals: Array<[() => Promise<unknown>, abstract new (...args: never[]) => Error]> = [
      [() => c.get('/x', { timeout: { total: -1 } }), ConfigError],
      [() => c.request({ method: 'GE T', path: '/x' }), ConfigError],
      [() => c.get('/x', { headers: { 'x-a': 'b\r\nc' } }), RequestRejectedError],
      [() => c.get('http:admin'), RequestRejectedError],
    ]
    for (const [call, type] of refusals) await expect(call()).rejects.toBeInstanceOf(type)
    await (await c.get('/fail')).dump()
    await expect(c.get('/x?page=1')).rejects.toBeInstanceOf(CircuitOpenError)
    const scope = c.scope()
    await scope.close()
    await expect(scope.get('/x')).rejects.toBeInstanceOf(ClientClosedError)
    await c.close()
    await expect(c.get('/x')).rejects.toBeInstanceOf(ClientClosedError)

    const types = [
      ConfigError,
      ConfigError,
      RequestRejectedError,
      RequestRejectedError,
      CircuitOpenError,
      ClientClosedError,
      ClientClosedError,
    ]
    for (const events of [hooked, published]) {
      expect(events.map((e) => e.error.constructor)).toEqual(types)
      expect(events.map((e) => e.attempts)).toEqual([0, 0, 0, 0, 0, 0, 0])
      expect(events[0].url).toBe('/x')
      expect(events[4].url).toBe(`${up.url}/x?page=[redacted]`)
      expect(events[6].url).toBe(`${up.url}/x`)
    }
    expect(up.requests).toHaveLength(1)
  })
})
