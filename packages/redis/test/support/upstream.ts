import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A node:http upstream on 127.0.0.1 that records when each request arrived. */
export async function startUpstream(
  handle: (req: IncomingMessage, res: ServerResponse, arrivedAt: number) => void,
) {
  const arrivals: Array<{ at: number; url: string }> = []
  const server: Server = createServer((req, res) => {
    const at = Date.now()
    arrivals.push({ at, url: req.url ?? '' })
    handle(req, res, at)
  })
  server.keepAliveTimeout = 500
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
