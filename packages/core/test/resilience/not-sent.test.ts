import { describe, expect, it } from 'vitest'
import { ConnectionError, createClient, RequestRejectedError } from '../../src/index.js'
import { mockTransport } from '../../src/testing.js'
import * as fixture from '../support/fixtures.js'
import { startUpstream } from '../support/upstream.js'

describe('what was never sent', () => {
  it('is retried for any method: a POST to a refused port is tried again, not blindly', async () => {
    const dead = await startUpstream()
    const url = dead.url
    await dead.close()
    const client = fixture.client({ baseUrl: url, retry: { backoff: { base: 1, max: 5 } } })
    const error = await client.post('/orders', { json: { n: 1 } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error).toMatchObject({ causeCode: 'ECONNREFUSED', delivery: 'not-sent', attempts: 3 })
  })

  it('but a POST that may have been delivered is still not retried', async () => {
    const upstream = await fixture.upstream((req) => req.socket.destroy())
    const client = fixture.client({ baseUrl: upstream.url, retry: { backoff: { base: 1, max: 5 } } })
    const error = await client.post('/orders', { json: { n: 1 } }).catch((e: unknown) => e)
    expect(error).toMatchObject({ delivery: 'maybe', attempts: 1 })
    expect(upstream.requests).toHaveLength(1)
  })

  it('a path undici cannot write is refused before sending, on sockets and transports alike', async () => {
    const upstream = await fixture.upstream()
    const socketClient = fixture.client({ baseUrl: upstream.url })
    const mock = mockTransport(() => new Response('never'))
    const mockClient = createClient({ baseUrl: 'http://in-process.test', transport: mock })
    for (const path of ['/a b', '/tab\there', '/snow\u2603man']) {
      await expect(socketClient.get(path)).rejects.toBeInstanceOf(RequestRejectedError)
      await expect(mockClient.get(path)).rejects.toBeInstanceOf(RequestRejectedError)
    }
    expect(upstream.requests).toHaveLength(0)
    expect(mock.calls).toHaveLength(0)
    await mockClient.close()
  })
})
