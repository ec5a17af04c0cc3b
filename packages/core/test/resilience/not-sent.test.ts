import { once } from 'node:events'
import { createServer, type ServerResponse } from 'node:http'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ConnectionError, createClient, RequestRejectedError } from '../../src/index.js'
import { mockTransport } from '../../src/testing.js'
import * as fixture from '../support/fixtures.js'
import { urlOf } from '../support/http.js'
import { startUpstream } from '../support/upstream.js'

/**
 * A node:http server that takes the first request, lets `answer` end it (a reset, a 503), and stops
 * listening: every later attempt of the call is refused (ECONNREFUSED).
 */
async function goneAfterFirst(
  answer: (res: ServerResponse) => void,
): Promise<{ url: string; seen: () => number }> {
  let seen = 0
  const server = createServer((_req, res) => {
    seen++
    server.close()
    answer(res)
    server.closeAllConnections()
  })
  server.listen(0, '127.0.0.1')
  const url = await urlOf(server, 'http')
  onTestFinished(async () => {
    server.closeAllConnections()
    if (server.listening) {
      server.close()
      await once(server, 'close')
    }
  })
  return { url, seen: () => seen }
}

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

  it("is the call's worst attempt: a GET that reached the server, then was refused, is maybe", async () => {
    const server = await goneAfterFirst((res) => res.socket?.destroy())
    const client = fixture.client({ baseUrl: server.url, retry: { backoff: { base: 1, max: 5 } } })
    const error = await client.get('/reached').catch((e: unknown) => e)
    // The last attempt was refused, but the first reached the server: not 'not-sent'.
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error).toMatchObject({ causeCode: 'ECONNREFUSED', delivery: 'maybe', attempts: 3 })
    expect((error as ConnectionError).retries.map((r) => r.reason)).toEqual([
      'UND_ERR_SOCKET',
      'ECONNREFUSED',
    ])
    expect(server.seen()).toBe(1)
  })

  it('and so is a GET whose 503 was retried into a refused port', async () => {
    const server = await goneAfterFirst((res) => res.writeHead(503, { connection: 'close' }).end('busy'))
    const client = fixture.client({ baseUrl: server.url, retry: { backoff: { base: 1, max: 5 } } })
    const error = await client.get('/busy').catch((e: unknown) => e)
    expect(error).toMatchObject({ causeCode: 'ECONNREFUSED', delivery: 'maybe', attempts: 3 })
    expect((error as ConnectionError).retries.map((r) => r.reason)).toEqual(['status:503', 'ECONNREFUSED'])
    expect(server.seen()).toBe(1)
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
