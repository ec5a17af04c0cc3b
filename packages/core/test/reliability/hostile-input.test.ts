import {
  ConfigError,
  createRegistration,
  createClient,
  type MooringClient,
  MooringError,
  RequestRejectedError,
} from '@mooring/core'
import { mockTransport } from '@mooring/core/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveTarget, toBase } from '../../src/config/target.js'
import { startUpstream, type Upstream } from '../support/upstream.js'
import {
  registrationOptions,
  clientOptions,
  headerName,
  hostilePath,
  requestOptions,
  scopeOptions,
  withControl,
} from './support/arbitraries.js'

/** A ConfigError that names the option at fault at the start of its message, as documented. */
function expectConfigError(err: unknown): void {
  if (!(err instanceof ConfigError)) throw err
  expect(typeof err.option).toBe('string')
  expect(err.message.startsWith(`${err.option}: expected `)).toBe(true)
}

/** Settles `promise`: the response's body dumped, or the failure returned. */
async function settle(promise: Promise<{ dump(): Promise<void> }>): Promise<unknown> {
  try {
    await (await promise).dump()
    return undefined
  } catch (err) {
    return err
  }
}

describe('option validation throws ConfigError and nothing else', () => {
  it('createClient', async () => {
    await fc.assert(
      fc.asyncProperty(clientOptions, async (options) => {
        let client: MooringClient
        try {
          client = createClient(options)
        } catch (err) {
          expectConfigError(err)
          return
        }
        await client.destroy()
      }),
      { numRuns: 400 },
    )
  })

  it('client.scope', async () => {
    const client = createClient({ baseUrl: 'http://127.0.0.1:1' })
    try {
      await fc.assert(
        fc.asyncProperty(scopeOptions, async (options) => {
          let scope: MooringClient
          try {
            scope = client.scope(options)
          } catch (err) {
            expectConfigError(err)
            return
          }
          await scope.close()
        }),
        { numRuns: 300 },
      )
    } finally {
      await client.destroy()
    }
  })

  it('createRegistration, and a registration that was created opens a request client without a late ConfigError', async () => {
    await fc.assert(
      fc.asyncProperty(registrationOptions, async (options) => {
        let registration: ReturnType<typeof createRegistration>
        try {
          registration = createRegistration(options)
        } catch (err) {
          expectConfigError(err)
          return
        }
        try {
          registration.release(registration.open({ headers: {} }))
        } finally {
          await registration.close({ drainTimeout: 0 })
        }
      }),
      { numRuns: 300 },
    )
  })

  it('a request (client, scope and request options): every failure is a MooringError, never a TypeError', async () => {
    const transport = mockTransport(() => ({ body: 'ok' }), { historyLimit: 1 })
    const clientKeys = fc.record(
      {
        headers: fc.constant({ 'x-app': 'mooring' }),
        query: fc.constant({ v: 1 }),
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(
        clientKeys,
        scopeOptions,
        requestOptions,
        async (fromClient, fromScope, fromRequest) => {
          const client = createClient({ ...fromClient, baseUrl: 'http://app.test', transport })
          try {
            let scope: MooringClient = client
            try {
              // Pool options need an owned pool; with a transport they are refused (tested above).
              const { pool: _p, limits: _l, tls: _t, connectTimeout: _c, ...rest } = fromScope
              scope = client.scope(rest)
            } catch (err) {
              expectConfigError(err)
            }
            const failure = await settle(scope.request({ ...fromRequest, path: '/x' }))
            if (failure === undefined) return
            if (!(failure instanceof MooringError)) throw failure
            if (failure instanceof ConfigError) expectConfigError(failure)
          } finally {
            await client.destroy()
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('a json body JSON cannot serialise is a ConfigError, not a TypeError', async () => {
    const client = createClient({ baseUrl: 'http://app.test', transport: mockTransport(() => ({})) })
    const circular: Record<string, unknown> = {}
    circular.self = circular
    for (const json of [circular, { n: 10n }]) {
      const err = await client.post('/x', { json }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).option).toBe('json')
    }
    await client.destroy()
  })
})

describe('no path leaves the base origin', () => {
  let home: Upstream
  let other: Upstream
  let otherHost: string

  beforeAll(async () => {
    home = await startUpstream((_req, res) => res.end('home'))
    other = await startUpstream((_req, res) => res.end('other'))
    otherHost = new URL(other.url).host
  })
  afterAll(async () => {
    await home.close()
    await other.close()
  })

  const paths = () => hostilePath([otherHost ?? '127.0.0.1:9', '127.0.0.1:9'])

  it('resolveTarget: relative paths stay on the base origin; anything else is flagged as elsewhere', () => {
    fc.assert(
      fc.property(fc.constantFrom('', '/api', '/api/v1/'), paths(), (prefix, path) => {
        const base = toBase(new URL(`http://127.0.0.1:8080${prefix}`))!
        const target = resolveTarget(base, path)
        if (typeof target === 'string') return
        if (target.home) expect(target.origin).toBe(base.origin)
        else expect(target.origin).not.toBe(base.origin)
        expect(target.path.startsWith('/')).toBe(true)
      }),
      { numRuns: 2_000 },
    )
  })

  it('resolveTarget: an absolute URL taken on the base origin with no parse is on it by WHATWG parsing too', () => {
    const base = toBase(new URL('http://127.0.0.1:8080/api'))!
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 24 }), (rest) => {
        const url = `${base.origin}/${rest}`
        const target = resolveTarget(base, url)
        if (typeof target === 'string') return
        let parsed: URL
        try {
          parsed = new URL(url)
        } catch {
          // Not a URL at all: only the character check before dispatch may refuse it now.
          expect(target.origin).toBe(base.origin)
          return
        }
        expect(target.origin).toBe(parsed.origin)
        expect(target.home).toBe(true)
      }),
      { numRuns: 2_000 },
    )
    // What middleware hands back for a call it did not move: the path as given, no URL parsed.
    expect(resolveTarget(base, `${base.origin}/api/x?q=1`)).toEqual({
      origin: base.origin,
      path: '/api/x?q=1',
      home: true,
    })
    // Anything not exactly the serialised origin then '/' is parsed: user info, case, '//'.
    expect(resolveTarget(base, 'http://127.0.0.1:8080@evil.test/x')).toMatchObject({ home: false })
    expect(resolveTarget(base, 'HTTP://127.0.0.1:8080/x')).toMatchObject({ home: true, path: '/x' })
  })

  it('through a client (mock transport): refused with RequestRejectedError, or sent to the base origin', async () => {
    const transport = mockTransport(() => ({ body: 'ok' }), { historyLimit: 1 })
    const client = createClient({ baseUrl: `${home.url}/api`, transport, retry: false })
    try {
      await fc.assert(
        fc.asyncProperty(paths(), async (path) => {
          const before = transport.calls.length === 0 ? undefined : transport.calls[0]
          const failure = await settle(client.get(path))
          if (failure === undefined) {
            expect(transport.calls[0]).not.toBe(before)
            expect(new URL(transport.calls[0].url).origin).toBe(home.url)
          } else {
            expect(failure).toBeInstanceOf(RequestRejectedError)
          }
        }),
        { numRuns: 1_000 },
      )
    } finally {
      await client.destroy()
    }
  })

  it('on real sockets (a sample): the other server is never reached', async () => {
    const client = createClient({ baseUrl: `${home.url}/api`, retry: false, timeout: { total: 2_000 } })
    try {
      await fc.assert(
        fc.asyncProperty(paths(), async (path) => {
          const seen = home.requests.length
          let failure: unknown
          try {
            const res = await client.get(path)
            const text = await res.text()
            // Answered by home: its handler, or its HTTP parser refusing a target it cannot read.
            if (res.status === 200) expect(text).toBe('home')
            else expect(res.status).toBe(400)
            return
          } catch (err) {
            failure = err
          }
          // Refused before sending: by Mooring, or by undici for a path with characters it will not write.
          expect(failure).toBeInstanceOf(MooringError)
          expect(home.requests.length).toBe(seen)
          if (!(failure instanceof RequestRejectedError)) {
            expect(failure).toMatchObject({ causeCode: 'UND_ERR_INVALID_ARG', delivery: 'not-sent' })
          }
        }),
        { numRuns: 60 },
      )
    } finally {
      await client.close()
    }
    expect(other.connections).toBe(0)
    expect(other.requests).toHaveLength(0)
  })
})

describe('CR, LF and NUL in header names and values are always refused', () => {
  /** A header with a CR, LF or NUL in its name or value, in each of the shapes headers may take. */
  const badHeaders = fc
    .tuple(
      fc.oneof(
        headerName.chain((name) => withControl.map((value) => [name, value] as const)),
        withControl.map((name) => [name, 'value'] as const),
      ),
      fc.constantFrom('record', 'pairs', 'map', 'array-value'),
    )
    .map(([[name, value], shape]) => {
      switch (shape) {
        case 'record':
          return { [name]: value }
        case 'pairs':
          return [['x-ok', 'fine'] as [string, string], [name, value] as [string, string]]
        case 'map':
          return new Map([[name, value]])
        default:
          return { [name]: ['fine', value] }
      }
    })

  it('per request: RequestRejectedError, nothing reaches the transport', async () => {
    const transport = mockTransport(() => ({}))
    const client = createClient({ baseUrl: 'http://app.test', transport })
    try {
      await fc.assert(
        fc.asyncProperty(badHeaders, fc.constantFrom('GET', 'POST'), async (headers, method) => {
          const failure = await settle(client.request({ method, path: '/x', headers }))
          expect(failure).toBeInstanceOf(RequestRejectedError)
          expect(transport.calls).toHaveLength(0)
        }),
        { numRuns: 500 },
      )
    } finally {
      await client.destroy()
    }
  })

  it('as client or scope defaults: ConfigError naming `headers`', async () => {
    const client = createClient({ baseUrl: 'http://app.test', transport: mockTransport(() => ({})) })
    try {
      fc.assert(
        fc.property(badHeaders, (headers) => {
          for (const make of [() => createClient({ headers }), () => client.scope({ headers })]) {
            let err: unknown
            try {
              make()
            } catch (e) {
              err = e
            }
            expect(err).toBeInstanceOf(ConfigError)
            expect((err as ConfigError).option).toBe('headers')
          }
        }),
        { numRuns: 300 },
      )
    } finally {
      await client.destroy()
    }
  })

  it('on a real socket (a sample): the upstream sees no connection', async () => {
    const upstream = await startUpstream()
    const client = createClient({ baseUrl: upstream.url })
    try {
      await fc.assert(
        fc.asyncProperty(badHeaders, async (headers) => {
          expect(await settle(client.get('/x', { headers }))).toBeInstanceOf(RequestRejectedError)
        }),
        { numRuns: 50 },
      )
      expect(upstream.connections).toBe(0)
    } finally {
      await client.close()
      await upstream.close()
    }
  })

  it('and so is any other character undici would refuse to write, with the same typed error', async () => {
    const upstream = await startUpstream()
    const client = createClient({ baseUrl: upstream.url })
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('\x01', '\x1b', '\x7f', '€', '\u2028'),
          fc.string({ maxLength: 4 }),
          async (bad, around) => {
            const failure = await settle(
              client.get('/x', { headers: { 'x-value': `${around}${bad}${around}` } }),
            )
            expect(failure).toBeInstanceOf(RequestRejectedError)
          },
        ),
        { numRuns: 40 },
      )
      expect(upstream.connections).toBe(0)
    } finally {
      await client.close()
      await upstream.close()
    }
  })
})
