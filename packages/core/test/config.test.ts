import {
  type ClientOptions,
  ConfigError,
  createRegistration,
  createClient,
  MooringError,
  type RequestOptions,
  type ScopeOptions,
} from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { client, upstream } from './support/fixtures.js'
import { ca } from './support/tls.js'

const SECRET = 'hunter2-s3cr3t'

/** Calls `fn`, expects a ConfigError for `option`, and returns it. */
function configError(fn: () => unknown, option: string): ConfigError {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  expect(thrown, `expected a ConfigError for ${option}`).toBeInstanceOf(ConfigError)
  const err = thrown as ConfigError
  expect(err).toBeInstanceOf(MooringError)
  expect(err.code).toBe('MOORING_CONFIG')
  expect(err.option).toBe(option)
  expect(err.message.startsWith(`${option}: expected `)).toBe(true)
  expect(err.message).not.toContain(SECRET)
  return err
}

/** createClient with options the types forbid: what a JavaScript caller or a config file may pass. */
const create = (options: unknown) => () => createClient(options as ClientOptions)

describe('client options fail at creation with ConfigError naming the option path', () => {
  it.each([
    [{ timeout: { connect: -1 } }, 'timeout.connect', '-1'],
    [{ timeout: { connect: 0 } }, 'timeout.connect', '0'],
    [{ timeout: { connect: '5s' } }, 'timeout.connect', '"5s"'],
    [{ timeout: { headers: Number.NaN } }, 'timeout.headers', 'NaN'],
    [{ timeout: { body: Number.POSITIVE_INFINITY } }, 'timeout.body', 'Infinity'],
    [{ timeout: { pool: 2 ** 31 } }, 'timeout.pool', String(2 ** 31)],
    [{ timeout: { total: true } }, 'timeout.total', 'true'],
  ])('%o → %s', (options, option, shown) => {
    const err = configError(create(options), option)
    expect(err.message).toContain('milliseconds')
    expect(err.message.endsWith(`got ${shown}`)).toBe(true)
  })

  it.each([
    [{ limits: { connections: 0 } }, 'limits.connections'],
    [{ limits: { connections: 1.5 } }, 'limits.connections'],
    [{ limits: { connections: '4' } }, 'limits.connections'],
    [{ limits: { pipelining: -1 } }, 'limits.pipelining'],
    [{ limits: { keepAliveTimeout: -5 } }, 'limits.keepAliveTimeout'],
    [{ limits: { maxLifetime: 'forever' } }, 'limits.maxLifetime'],
  ])('%o → %s', (options, option) => {
    configError(create(options), option)
  })

  it.each([
    ['not a url', 'baseUrl'],
    ['ftp://127.0.0.1/files', 'baseUrl'],
    [42, 'baseUrl'],
    ['/relative/path', 'baseUrl'],
  ])('baseUrl %o', (baseUrl, option) => {
    const err = configError(create({ baseUrl }), option)
    expect(err.message).toContain('an absolute http(s) URL')
  })

  it('a baseUrl with credentials is refused without printing them', () => {
    const err = configError(create({ baseUrl: `https://admin:${SECRET}@api.example/v1` }), 'baseUrl')
    expect(err.message).toContain('without credentials')
    expect(err.message).not.toContain('admin')
  })

  it.each([
    [{ timeouts: { connect: 100 } }, 'timeouts'],
    [{ timeout: { conect: 100 } }, 'timeout.conect'],
    [{ limits: { maxConnections: 4 } }, 'limits.maxConnections'],
    [{ tls: { rejectUnauthorized: false } }, 'tls.rejectUnauthorized'],
    [{ baseURL: 'http://127.0.0.1' }, 'baseURL'],
  ])('unknown key %o → %s', (options, option) => {
    const err = configError(create(options), option)
    expect(err.message).toContain('a known option')
  })

  it.each([
    [{ tls: { ca: 123 } }, 'tls.ca'],
    [{ tls: { ca: [ca, 5] } }, 'tls.ca'],
    [{ tls: { cert: { pem: SECRET } } }, 'tls.cert'],
    [{ tls: { key: 7 } }, 'tls.key'],
    [{ tls: { servername: '' } }, 'tls.servername'],
    [{ tls: { dangerouslyDisableVerification: 'yes' } }, 'tls.dangerouslyDisableVerification'],
  ])('tls %o → %s', (options, option) => {
    configError(create(options), option)
  })

  it.each([
    [{ http2: 'yes' }, 'http2'],
    [{ raiseForStatus: 1 }, 'raiseForStatus'],
    [{ closeTransport: 'no' }, 'closeTransport'],
    [{ headers: 'authorization: x' }, 'headers'],
    [{ query: 'a=1' }, 'query'],
    [{ proxy: 'not a url' }, 'proxy'],
    [{ transport: {} }, 'transport'],
    [{ allowedOrigins: 'everything' }, 'allowedOrigins'],
    [{ allowedOrigins: ['http://127.0.0.1:1', 'nope'] }, 'allowedOrigins[1]'],
  ])('%o → %s', (options, option) => {
    configError(create(options), option)
  })

  it('options that belong to a given transport are refused next to it', () => {
    const transport = createClient().dispatcher
    try {
      configError(create({ transport, limits: { connections: 2 } }), 'limits')
      configError(create({ transport, http2: true }), 'http2')
      configError(create({ transport, tls: { ca } }), 'tls')
    } finally {
      void transport.destroy()
    }
  })

  it('a bad default header is refused without printing its value', () => {
    const err = configError(
      create({ headers: { authorization: `Bearer ${SECRET}\r\nx-evil: 1` } }),
      'headers',
    )
    expect(err.message).toContain('authorization')
    configError(create({ headers: { 'bad name': SECRET } }), 'headers')
  })

  it('never prints a secret-looking value, whatever the option', () => {
    configError(create({ apiKey: SECRET }), 'apiKey')
    configError(create({ token: SECRET }), 'token')
    configError(create({ password: SECRET }), 'password')
    configError(create({ tls: { key: [SECRET, 1] } }), 'tls.key')
    configError(create({ proxy: `http://user:${SECRET}@127.0.0.1:3128/path` }), 'proxy')
    // A misspelled option holding a URL with credentials: the value is shown redacted.
    const err = configError(create({ baseURL: `https://user:${SECRET}@api.example/` }), 'baseURL')
    expect(err.message).toContain('api.example')
  })

  it('a valid configuration creates a client', async () => {
    const c = createClient({
      baseUrl: 'http://127.0.0.1:1/v1/',
      timeout: { connect: 100, headers: 200, body: 300, pool: 400, total: 500 },
      limits: { connections: 2, pipelining: 1, keepAliveTimeout: 1_000, maxLifetime: 0 },
      tls: { ca, servername: 'localhost' },
      headers: { 'x-app': 'test' },
      allowedOrigins: ['http://127.0.0.1:2'],
    })
    expect(c.closed).toBe(false)
    await c.close()
  })
})

describe('scope options', () => {
  const parent = () => client({ baseUrl: 'http://127.0.0.1:1' })
  const scope = (options: unknown) => () => parent().scope(options as ScopeOptions)

  it.each([
    [{ timeout: { headers: -1 } }, 'timeout.headers'],
    [{ timeout: { connect: 100 } }, 'timeout.connect'],
    [{ maxConcurrent: 0 }, 'maxConcurrent'],
    [{ maxConcurrent: 2.5 }, 'maxConcurrent'],
    [{ pool: 'private' }, 'pool'],
    [{ limits: { connections: 2 } }, 'limits'],
    [{ tls: { ca } }, 'tls'],
    [{ pool: 'isolated', limits: { connections: 0 } }, 'limits.connections'],
    [{ pool: 'isolated', connectTimeout: -1 }, 'connectTimeout'],
    [{ deadline: 'soon' }, 'deadline'],
    [{ deadline: Number.NaN }, 'deadline'],
    [{ signal: { aborted: 'no' } }, 'signal'],
    [{ raiseForStatus: 'yes' }, 'raiseForStatus'],
    [{ headers: { 'bad name': 'x' } }, 'headers'],
    [{ headers: { authorization: `${SECRET}\n` } }, 'headers'],
    [{ unknown: 1 }, 'unknown'],
  ])('%o → %s', (options, option) => {
    configError(scope(options), option)
  })

  it('a scope of a client given a transport cannot ask for an isolated pool', () => {
    const transport = createClient().dispatcher
    try {
      const c = client({ baseUrl: 'http://127.0.0.1:1', transport })
      configError(() => c.scope({ pool: 'isolated' }), 'pool')
    } finally {
      void transport.destroy()
    }
  })
})

describe('request options', () => {
  it.each([
    [{ timeout: { headers: -5 } }, 'timeout.headers'],
    [{ timeout: { connect: 100 } }, 'timeout.connect'],
    [{ body: 123 }, 'body'],
    [{ body: { not: 'a body' } }, 'body'],
    [{ body: `password=${SECRET}`, json: { a: 1 } }, 'json'],
    [{ signal: 'abort' }, 'signal'],
  ])('%o → rejects with ConfigError for %s, and sends nothing', async (init, option) => {
    const up = await upstream()
    const c = client({ baseUrl: up.url })
    const err = await c
      .request({ method: 'POST', path: '/x', ...(init as object) } as RequestOptions)
      .catch((e: unknown) => e)
    configError(() => {
      throw err
    }, option)
    expect(up.requests).toHaveLength(0)
    expect(up.connections).toBe(0)
  })

  it('a path that is not a string', async () => {
    const c = client({ baseUrl: 'http://127.0.0.1:1' })
    const err = await c.request({ path: 5 } as unknown as RequestOptions).catch((e: unknown) => e)
    configError(() => {
      throw err
    }, 'path')
  })
})

describe('registration options', () => {
  it.each([
    [{ scope: 'global' }, 'scope'],
    [{ name: 'not-an-identifier' }, 'name'],
    [{ pool: 'private' }, 'pool'],
    [{ propagate: 'x-request-id' }, 'propagate'],
    [{ propagate: ['x request-id'] }, 'propagate'],
    [{ deadline: -1 }, 'deadline'],
    [{ maxConcurrent: 0 }, 'maxConcurrent'],
    [{ scope: 'app', maxConcurrent: 2 }, 'maxConcurrent'],
    [{ requestLimits: { connections: 2 } }, 'requestLimits'],
    [{ timeout: { connect: -1 } }, 'timeout.connect'],
  ])('%o → %s', (options, option) => {
    configError(() => createRegistration(options as Parameters<typeof createRegistration>[0]), option)
  })
})
