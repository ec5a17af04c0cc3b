import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { Pool } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { OriginAgent } from '../src/origin-agent.js'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

/** A server on 127.0.0.1 answering its own name; `close: true` ends each connection after one response. */
async function listen(name: string, close = false): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, close ? { connection: 'close' } : {}).end(name)
  })
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

describe('OriginAgent', () => {
  it('sends to the Pool it made, to other origins through the Agent, and again after the Agent dropped a Pool', async () => {
    const home = await listen('home', true)
    const other = await listen('other')
    const made: string[] = []
    const agent = new OriginAgent({
      connections: 2,
      factory: (origin, opts) => {
        made.push(String(origin))
        return new Pool(origin, opts)
      },
    })
    const get = async (origin: string): Promise<string> => {
      const { body } = await agent.request({ origin, path: '/', method: 'GET' })
      return body.text()
    }
    try {
      expect(await get(home)).toBe('home')
      expect(await get(other)).toBe('other')
      // Each home response closes its connection: the Agent drops and closes the home Pool, so the
      // next call must not go to the closed one.
      await new Promise((resolve) => setTimeout(resolve, 50))
      for (let i = 0; i < 5; i++) expect(await get(home)).toBe('home')
      expect(made.filter((o) => o === home).length).toBeGreaterThan(1)
      expect(made.filter((o) => o === other)).toEqual([other])
    } finally {
      await agent.close()
    }
    // Closed, it refuses as a plain Agent does: not through a Pool it had.
    await expect(get(home)).rejects.toThrow('The client is destroyed')
  })
})
