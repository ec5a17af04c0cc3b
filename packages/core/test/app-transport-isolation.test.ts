import type { AddressInfo } from 'node:net'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { createClient } from '../src/index.js'
import { appTransport } from '../src/testing.js'

describe('appTransport and other Express apps in the same process', () => {
  it('injecting into one Express app leaves another one, served on a socket, working', async () => {
    const injected = express().get('/who', (_req, res) => {
      res.json({ app: 'injected' })
    })
    const client = createClient({ baseUrl: 'http://in-process.test', transport: appTransport(injected) })
    expect(await (await client.get('/who')).json()).toEqual({ app: 'injected' })
    await client.close()

    const served = express().get('/who', (_req, res) => {
      res.json({ app: 'served' })
    })
    const server = served.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const res = await fetch(`http://127.0.0.1:${port}/who`, { signal: AbortSignal.timeout(3_000) })
      expect(await res.json()).toEqual({ app: 'served' })
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
