import diagnosticsChannel from 'node:diagnostics_channel'
import { inspect } from 'node:util'
import {
  AbortError,
  CircuitOpenError,
  ClientClosedError,
  ConfigError,
  ConnectionError,
  createRegistration,
  createClient,
  HttpStatusError,
  type MooringClient,
  RequestRejectedError,
  ResponseTooLargeError,
  TimeoutError,
  TooManyRedirectsError,
} from '@mooring/core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startUpstream, type Upstream } from '../support/upstream.js'
import { dropReused, resetMidBody } from './support/faults.js'
import { type RawUpstream, response, startRawUpstream } from './support/raw-upstream.js'
import { captureWarnings } from '../support/warnings.js'

const AUTHORIZATION = 'Bearer auth-secret-1111'
const COOKIE = 'sid=cookie-secret-2222'
const URL_PASSWORD = 'url-secret-3333'
const API_KEY = 'query-secret-4444'
/** Under names no list of secret-looking keys foresaw, and in a fragment. */
const JWT = 'jwt-secret-5555'
const FRAGMENT_TOKEN = 'fragment-secret-6666'
const SECRETS = ['auth-secret-1111', 'cookie-secret-2222', URL_PASSWORD, API_KEY, JWT, FRAGMENT_TOKEN]

/** Everything Mooring said, as text: errors every way they are printed, events every way they are logged. */
const said: string[] = []

function sayError(err: unknown): void {
  const e = err as Error
  said.push(e.message, String(e), e.stack ?? '', JSON.stringify(e), inspect(e, { depth: 8 }))
}

const CHANNELS = ['mooring:request', 'mooring:response', 'mooring:retry', 'mooring:error']
const published = (message: unknown): void => {
  said.push(JSON.stringify(message), inspect(message, { depth: 8 }))
}
const warned = (warning: Error): void => {
  said.push(warning.message, String(warning))
}

const hooks = {
  onRequest: published,
  onResponse: published,
  onRetry: published,
  onError: published,
}

/** `base` with the password in its authority and the API key in its query: what a caller might pass. */
function withSecrets(base: string, path: string): string {
  const url = new URL(path, base)
  url.username = 'user'
  url.password = URL_PASSWORD
  url.searchParams.set('api_key', API_KEY)
  url.searchParams.set('jwt', JWT)
  url.hash = `access_token=${FRAGMENT_TOKEN}`
  return url.href
}

/** Expects `call` to fail with `type`, and records how it is printed. */
async function failsWith(
  type: abstract new (...args: never[]) => Error,
  call: Promise<unknown>,
): Promise<void> {
  const err = await call.then(
    () => new Error('expected the call to fail'),
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(type)
  sayError(err)
}

/** A client with every kind of secret in its defaults, reporting to the hooks above. */
function clientFor(url: string, options: Parameters<typeof createClient>[0] = {}): MooringClient {
  const client = createClient({
    baseUrl: url,
    headers: { authorization: AUTHORIZATION, cookie: COOKIE },
    query: { api_key: API_KEY, sessionid: JWT },
    hooks,
    ...options,
  })
  clients.push(client)
  return client
}

let captured: ReturnType<typeof captureWarnings>
const clients: MooringClient[] = []
const servers: Array<Upstream | RawUpstream> = []

beforeAll(() => {
  for (const name of CHANNELS) diagnosticsChannel.subscribe(name, published)
  // Captured, not printed: the hook warning below is provoked on purpose.
  captured = captureWarnings(warned)
})
beforeEach(() => {
  said.length = 0
})
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.destroy()))
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

/** Nothing said contains a secret; and enough was said (`least` texts) for that to mean something. */
function nothingLeaked(least: number): void {
  expect(said.length).toBeGreaterThanOrEqual(least)
  const leaks = said.filter((text) => SECRETS.some((secret) => text.includes(secret)))
  expect(leaks).toEqual([])
}
afterAll(() => {
  for (const name of CHANNELS) diagnosticsChannel.unsubscribe(name, published)
  captured.restore()
})

async function node(handler: Parameters<typeof startUpstream>[0]): Promise<Upstream> {
  const u = await startUpstream(handler)
  servers.push(u)
  return u
}

async function raw(behaviour: Parameters<typeof startRawUpstream>[0]): Promise<RawUpstream> {
  const u = await startRawUpstream(behaviour)
  servers.push(u)
  return u
}

describe('no secret in any error, hook or diagnostics payload', () => {
  it('config errors', () => {
    const attempts: Array<() => unknown> = [
      () => createClient({ baseUrl: withSecrets('http://127.0.0.1:1', '/v1') }),
      () => createClient({ proxy: withSecrets('http://127.0.0.1:3128', '/') }),
      () => createClient({ headers: { authorization: `${AUTHORIZATION}\r\nx: 1` } }),
      () => createClient({ headers: { cookie: `${COOKIE}\0` } }),
      () => createClient({ query: { api_key: Object.create(null) } }),
      // Misspelled options holding a secret: the value is not printed.
      () => createClient({ header: { authorization: AUTHORIZATION } } as never),
      () => createClient({ bearer: AUTHORIZATION } as never),
      () => createClient({ credentials: URL_PASSWORD } as never),
      () => createClient({ apiKey: API_KEY } as never),
      () => createRegistration({ headers: { cookie: `${COOKIE}\n` } }),
      () =>
        createClient({ baseUrl: 'http://127.0.0.1:1' }).scope({
          headers: { authorization: `${AUTHORIZATION}\n` },
        }),
    ]
    for (const attempt of attempts) {
      let err: unknown
      try {
        const made = attempt() as { destroy?: () => unknown }
        made.destroy?.()
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(ConfigError)
      sayError(err)
    }
    nothingLeaked(attempts.length * 5)
  })

  it('refused requests', async () => {
    const home = await node((_req, res) => res.end('ok'))
    const client = clientFor(home.url)
    await failsWith(
      RequestRejectedError,
      client.get('/x', { headers: { authorization: `${AUTHORIZATION}\r\n` } }),
    )
    await failsWith(RequestRejectedError, client.get('/x', { headers: { cookie: `${COOKIE}\x01` } }))
    await failsWith(RequestRejectedError, client.get(withSecrets('http://elsewhere.example', '/x')))
    await failsWith(ConfigError, client.get('/x', { json: { token: AUTHORIZATION, n: 1n } }))
    await failsWith(ConfigError, client.get('/x', { timeout: { total: -1 } }))
    expect(home.connections).toBe(0)
    expect(said.some((text) => text.includes('api_key=[redacted]'))).toBe(true)
    nothingLeaked(5 * 5)
  })

  it('connection errors, timeouts and status errors, with their retries', async () => {
    const gone = await startUpstream()
    await gone.close()
    await failsWith(
      ConnectionError,
      clientFor(gone.url, { retry: { backoff: { base: 1, max: 2 } } }).get(withSecrets(gone.url, '/x')),
    )

    const silent = await node(() => {})
    await failsWith(
      TimeoutError,
      clientFor(silent.url, { timeout: { headers: 100 } }).get(withSecrets(silent.url, '/x')),
    )
    await failsWith(TimeoutError, clientFor(silent.url, { timeout: { total: 100 } }).get('/x'))

    const cut = await raw(resetMidBody)
    const res = await clientFor(cut.url).get(withSecrets(cut.url, '/x'))
    said.push(res.url)
    await failsWith(ConnectionError, res.text())

    const failing = await node((_req, res) => res.writeHead(503, { 'retry-after': '0' }).end())
    await failsWith(
      HttpStatusError,
      clientFor(failing.url, { raiseForStatus: true }).get(withSecrets(failing.url, '/x')),
    )

    // A stale keep-alive connection replayed: its retry event too.
    const stale = await raw(dropReused('close'))
    const client = clientFor(stale.url, { limits: { connections: 1 } })
    await (await client.get('/warm')).text()
    const replayed = await client.get(withSecrets(stale.url, '/x'))
    expect(replayed.retries.map((r) => r.reason)).toEqual(['stale-connection'])
    said.push(replayed.url, JSON.stringify(client.stats()))
    await replayed.dump()
    // Five errors, and a request, a response, a retry or an error event for each call.
    nothingLeaked(5 * 5 + 2 * 12)
  })

  it('aborts, closed clients, an open circuit', async () => {
    const slow = await node(() => {})
    const client = clientFor(slow.url)
    const controller = new AbortController()
    const aborted = client.get(withSecrets(slow.url, '/x'), { signal: controller.signal })
    await slow.waitForOpen(1)
    controller.abort()
    await failsWith(AbortError, aborted)

    const scope = client.scope({ headers: { authorization: AUTHORIZATION } })
    const inScope = scope.get(withSecrets(slow.url, '/y'))
    await scope.close()
    await failsWith(AbortError, inScope)
    await failsWith(ClientClosedError, scope.get('/z'))

    await client.close({ drainTimeout: 0 })
    await failsWith(ClientClosedError, client.get(withSecrets(slow.url, '/z')))

    const broken = await node((_req, res) => res.writeHead(500).end())
    const guarded = clientFor(broken.url, { retry: false, circuitBreaker: { consecutiveFailures: 1 } })
    await (await guarded.get('/x')).dump()
    await failsWith(CircuitOpenError, guarded.get(withSecrets(broken.url, '/x')))
    nothingLeaked(6 * 5 + 2 * 6)
  })

  it('an oversized body, a redirect loop and a cross-origin redirect', async () => {
    const big = await node((_req, res) => res.end('x'.repeat(10_000)))
    await failsWith(
      ResponseTooLargeError,
      clientFor(big.url, { maxResponseSize: 100 }).get(withSecrets(big.url, '/x')),
    )

    // Every hop keeps the query, secret included.
    const loop = await raw(({ socket, request }) =>
      socket.write(response(302, '', { location: request.target })),
    )
    await failsWith(
      TooManyRedirectsError,
      clientFor(loop.url, { followRedirects: 2 }).get(withSecrets(loop.url, '/x')),
    )

    const other = await node((req, res) => res.end(JSON.stringify(req.headers)))
    const home = await node((_req, res) => res.writeHead(307, { location: `${other.url}/landing` }).end())
    const res = await clientFor(home.url, { followRedirects: true }).get('/x', {
      headers: { authorization: AUTHORIZATION, cookie: COOKIE, 'proxy-authorization': AUTHORIZATION },
    })
    const seen = await res.text()
    for (const secret of SECRETS) expect(seen).not.toContain(secret)
    said.push(res.url)
    nothingLeaked(2 * 5 + 2 * 6)
  })

  it('a hook that throws is reported without the event', async () => {
    const home = await node((_req, res) => res.end('ok'))
    const client = createClient({
      baseUrl: home.url,
      headers: { authorization: AUTHORIZATION },
      hooks: {
        onResponse: () => {
          throw new Error('hook failed')
        },
      },
    })
    clients.push(client)
    await (await client.get('/x', { query: { api_key: API_KEY } })).dump()
    await new Promise((resolve) => setImmediate(resolve))
    expect(said.some((s) => s.includes('hook failed'))).toBe(true)
    nothingLeaked(1)
  })
})
