import { once } from 'node:events'
import { createServer, type Server, type ServerOptions } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { ConnectionError, type TlsOptions } from '@mooring/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { client } from './support/fixtures.js'
import { urlOf } from './support/http.js'
import { ca, client as clientCert, expired, type KeyPair, server, wrongHost } from './support/tls.js'

/** An https server on 127.0.0.1 that answers with the client certificate's CN, if any. */
async function httpsUpstream(pair: KeyPair, options: ServerOptions = {}): Promise<string> {
  const s: Server = createServer({ ...pair, ...options }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate()
    res.end(peer?.subject?.CN ?? 'anonymous')
  })
  s.listen(0, '127.0.0.1')
  const url = await urlOf(s, 'https')
  onTestFinished(async () => {
    s.closeAllConnections()
    s.close()
    await once(s, 'close')
  })
  return url
}

async function get(url: string, tls?: TlsOptions): Promise<string> {
  const c = client({ baseUrl: url, tls, retry: false })
  return (await c.get('/')).text()
}

async function refused(url: string, tls?: TlsOptions): Promise<ConnectionError> {
  const err = await get(url, tls).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(ConnectionError)
  return err as ConnectionError
}

describe('TLS verification against the test CA', () => {
  it('trusts a server certificate signed by the given CA, for 127.0.0.1 and localhost', async () => {
    const url = await httpsUpstream(server)
    expect(await get(url, { ca })).toBe('anonymous')
    expect(await get(url, { ca, servername: 'localhost' })).toBe('anonymous')
  })

  it('refuses it without the CA, before sending anything', async () => {
    const err = await refused(await httpsUpstream(server))
    expect(err.causeCode).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/)
    expect(err.delivery).toBe('not-sent')
  })

  it('refuses an expired certificate', async () => {
    const err = await refused(await httpsUpstream(expired), { ca })
    expect(err.causeCode).toBe('CERT_HAS_EXPIRED')
    expect(err.delivery).toBe('not-sent')
  })

  it('refuses a certificate for another host name', async () => {
    const err = await refused(await httpsUpstream(wrongHost), { ca })
    expect(err.causeCode).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
    expect(err.delivery).toBe('not-sent')
  })

  it('servername checks the certificate against the name given', async () => {
    const url = await httpsUpstream(wrongHost)
    expect(await get(url, { ca, servername: 'wrong.example' })).toBe('anonymous')
  })

  it('dangerouslyDisableVerification accepts what verification refuses', async () => {
    expect(await get(await httpsUpstream(expired), { dangerouslyDisableVerification: true })).toBe(
      'anonymous',
    )
  })
})

describe('mutual TLS', () => {
  const mtls: ServerOptions = { ca, requestCert: true, rejectUnauthorized: true }

  it('presents the client certificate', async () => {
    const url = await httpsUpstream(server, mtls)
    expect(await get(url, { ca, ...clientCert })).toBe('mooring-test-client')
  })

  it('fails without one', async () => {
    await refused(await httpsUpstream(server, mtls), { ca })
  })
})
