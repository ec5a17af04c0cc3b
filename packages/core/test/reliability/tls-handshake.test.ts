import { once } from 'node:events'
import { createServer as createHttpsServer } from 'node:https'
import { createSecureServer } from 'node:http2'
import type { AddressInfo, Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import {
  ConfigError,
  ConnectionError,
  createRegistration,
  createClient,
  type MooringClient,
  type TlsOptions,
} from '@mooring/core'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../support/upstream.js'
import {
  ca,
  client as clientPair,
  expired,
  type KeyPair,
  server as serverPair,
  wrongHost,
} from '../support/tls.js'

interface TlsUpstream {
  url: string
  /** TCP connections open now. */
  readonly open: number
  close(): Promise<void>
}

type Protocol = 'https' | 'h2'

/**
 * A node:https or node:http2 server on 127.0.0.1 answering `<protocol> <client certificate CN>`.
 * With `mtls`, it asks for a client certificate from the test CA and refuses the handshake without one.
 */
async function tlsUpstream(protocol: Protocol, pair: KeyPair, mtls = false): Promise<TlsUpstream> {
  const options = { ...pair, ...(mtls ? { ca, requestCert: true, rejectUnauthorized: true } : {}) }
  const answer = (socket: TLSSocket, version: string): string =>
    `${version} ${socket.getPeerCertificate()?.subject?.CN ?? 'anonymous'}`
  const server =
    protocol === 'h2'
      ? createSecureServer(options, (req, res) => res.end(answer(req.socket as TLSSocket, req.httpVersion)))
      : createHttpsServer(options, (req, res) => res.end(answer(req.socket as TLSSocket, req.httpVersion)))
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.on('tlsClientError', () => {})
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const upstream = {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get open() {
      return sockets.size
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
  upstreams.push(upstream)
  return upstream
}

const upstreams: TlsUpstream[] = []
const clients: MooringClient[] = []

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.destroy()))
  await Promise.all(upstreams.splice(0).map((u) => u.close()))
})

function clientOf(protocol: Protocol, url: string, tls?: TlsOptions): MooringClient {
  const c = createClient({ baseUrl: url, tls, http2: protocol === 'h2', retry: false })
  clients.push(c)
  return c
}

/** Closes the client and waits until the server sees none of its connections. */
async function closeAndCount(client: MooringClient, upstream: TlsUpstream): Promise<void> {
  await client.close()
  await waitFor(() => upstream.open === 0, 'the server to see every connection closed', 2_000)
}

async function refused(client: MooringClient, causeCode: RegExp): Promise<ConnectionError> {
  const err = await client.get('/').then(
    () => new Error('expected the handshake to be refused'),
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ConnectionError)
  const error = err as ConnectionError
  expect(error.causeCode).toMatch(causeCode)
  expect(error.delivery).toBe('not-sent')
  // The message says what went wrong with the certificate.
  expect(error.message).toContain(error.causeCode)
  return error
}

describe.each(['https', 'h2'] as const)('a real TLS handshake over %s', (protocol) => {
  const version = protocol === 'h2' ? '2.0' : '1.1'

  it('trusts a certificate from the CA it is given, and leaves no connection after close', async () => {
    const up = await tlsUpstream(protocol, serverPair)
    const c = clientOf(protocol, up.url, { ca })
    expect(await (await c.get('/')).text()).toBe(`${version} anonymous`)
    expect(await (await c.get('/', { headers: { 'x-n': '2' } })).text()).toBe(`${version} anonymous`)
    await closeAndCount(c, up)
  })

  it('refuses a certificate from a CA it was not given', async () => {
    const up = await tlsUpstream(protocol, serverPair)
    const c = clientOf(protocol, up.url)
    await refused(c, /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/)
    await closeAndCount(c, up)
  })

  it('checks the host name: the address, or the servername it was told', async () => {
    const wrong = await tlsUpstream(protocol, wrongHost)
    await refused(clientOf(protocol, wrong.url, { ca }), /^ERR_TLS_CERT_ALTNAME_INVALID$/)
    const right = await tlsUpstream(protocol, serverPair)
    await refused(
      clientOf(protocol, right.url, { ca, servername: 'other.example' }),
      /^ERR_TLS_CERT_ALTNAME_INVALID$/,
    )
    const c = clientOf(protocol, right.url, { ca, servername: 'localhost' })
    expect(await (await c.get('/')).text()).toBe(`${version} anonymous`)
  })

  it('refuses an expired certificate, even from a trusted CA', async () => {
    const up = await tlsUpstream(protocol, expired)
    await refused(clientOf(protocol, up.url, { ca }), /^CERT_HAS_EXPIRED$/)
  })

  it('mutual TLS: presents the client certificate; without one the server refuses', async () => {
    const up = await tlsUpstream(protocol, serverPair, true)
    const withCert = clientOf(protocol, up.url, { ca, ...clientPair })
    expect(await (await withCert.get('/')).text()).toBe(`${version} mooring-test-client`)
    const without = clientOf(protocol, up.url, { ca })
    const err = await without.get('/').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionError)
    await closeAndCount(withCert, up)
    await closeAndCount(without, up)
  })

  it('per-tenant client certificates: an isolated scope presents its own, the app client none', async () => {
    const up = await tlsUpstream(protocol, serverPair, true)
    const app = clientOf(protocol, up.url, { ca })
    const tenant = app.scope({ pool: 'isolated', tls: { ca, ...clientPair } })
    expect(await (await tenant.get('/')).text()).toBe(`${version} mooring-test-client`)
    expect(await app.get('/').catch((e: unknown) => e)).toBeInstanceOf(ConnectionError)
    await tenant.close()
    await closeAndCount(app, up)
  })
})

describe('verification cannot be turned off by accident', () => {
  it('rejectUnauthorized is refused wherever TLS options are taken', async () => {
    const off = { rejectUnauthorized: false } as TlsOptions
    const attempts: Array<[string, () => unknown]> = [
      ['tls.rejectUnauthorized', () => createClient({ tls: off })],
      ['tls.rejectUnauthorized', () => createClient({ tls: { ca, ...off } })],
      ['requestTls.rejectUnauthorized', () => createRegistration({ pool: 'isolated', requestTls: off })],
      ['tls.rejectUnauthorized', () => createRegistration({ tls: off })],
      [
        'tls.dangerouslyDisableVerification',
        () => createClient({ tls: { dangerouslyDisableVerification: 'yes' as never } }),
      ],
      [
        'tls.dangerouslyDisableVerification',
        () => createClient({ tls: { dangerouslyDisableVerification: 1 as never } }),
      ],
      ['rejectUnauthorized', () => createClient({ rejectUnauthorized: false } as never)],
    ]
    const app = createClient({ baseUrl: 'https://127.0.0.1:1' })
    clients.push(app)
    attempts.push(['tls.rejectUnauthorized', () => app.scope({ pool: 'isolated', tls: off })])
    for (const [option, attempt] of attempts) {
      let err: unknown
      try {
        const made = attempt() as { destroy?: () => unknown; close?: () => unknown }
        await (made.destroy ?? made.close)?.call(made)
      } catch (e) {
        err = e
      }
      expect(err, option).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).option).toBe(option)
    }
  })

  it('NODE_TLS_REJECT_UNAUTHORIZED=0 does not turn it off', async () => {
    const up = await tlsUpstream('https', serverPair)
    const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED
    const emitWarning = process.emitWarning
    // Node warns once that the variable makes TLS insecure; the warning is expected here.
    process.emitWarning = () => {}
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'
    try {
      await refused(
        clientOf('https', up.url),
        /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/,
      )
    } finally {
      if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved
      process.emitWarning = emitWarning
    }
  })

  it('only dangerouslyDisableVerification: true turns it off', async () => {
    const up = await tlsUpstream('h2', expired)
    const c = clientOf('h2', up.url, { dangerouslyDisableVerification: true })
    expect(await (await c.get('/')).text()).toBe('2.0 anonymous')
    await closeAndCount(c, up)
  })
})
