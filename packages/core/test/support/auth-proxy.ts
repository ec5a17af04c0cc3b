import { once } from 'node:events'
import { createServer, type IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import { onTestFinished } from 'vitest'
import { urlOf } from './http.js'

export interface AuthProxy {
  /** http://127.0.0.1:PORT, without credentials. */
  url: string
  /** CONNECT tunnels opened (authorized). */
  tunnels: number
  /** Requests refused with 407. */
  refused: number
  /** The Proxy-Authorization values seen, in order. */
  seen: Array<string | undefined>
  close(): Promise<void>
}

/**
 * A CONNECT proxy on 127.0.0.1 that requires `Proxy-Authorization: <expected>`: a tunnel to the
 * target when it matches, 407 otherwise. Closed when the test finishes.
 */
export async function startAuthProxy(expected: string): Promise<AuthProxy> {
  const sockets = new Set<Socket>()
  const server = createServer((_req, res) => {
    res.writeHead(405).end()
  })
  const proxy: AuthProxy = {
    url: '',
    tunnels: 0,
    refused: 0,
    seen: [],
    async close() {
      for (const s of sockets) s.destroy()
      server.closeAllConnections()
      if (server.listening) {
        server.close()
        await once(server, 'close')
      }
    },
  }
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => {})
    const auth = req.headers['proxy-authorization']
    proxy.seen.push(auth)
    if (auth !== expected) {
      proxy.refused++
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\ncontent-length: 0\r\n\r\n',
      )
      return
    }
    const [host, port] = (req.url ?? '').split(':')
    const upstream = connect(Number(port), host, () => {
      proxy.tunnels++
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => {
      sockets.delete(upstream)
      client.destroy()
    })
    upstream.on('error', () => client.destroy())
    client.on('close', () => upstream.destroy())
  })
  server.listen(0, '127.0.0.1')
  proxy.url = await urlOf(server)
  onTestFinished(() => proxy.close())
  return proxy
}
