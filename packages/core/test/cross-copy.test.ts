import * as first from '@mooring/core'
import { describe, expect, it, vi } from 'vitest'

/** A second, separate copy of @mooring/core's module graph, as when two versions are installed. */
async function secondCopy(): Promise<typeof first> {
  vi.resetModules()
  return (await import('../src/index.js')) as typeof first
}

describe('instanceof across two copies of core', () => {
  it('holds for errors of the same class, and only for those', async () => {
    const second = await secondCopy()
    expect(second.MooringError).not.toBe(first.MooringError)

    const config = new second.ConfigError('timeout.total', -1, 'a positive number')
    const timeout = new second.TimeoutError('total', 10, { method: 'GET', url: 'http://x.test/' }, 'maybe')
    const downstream = new second.DownstreamClosedError()

    expect(config).toBeInstanceOf(first.ConfigError)
    expect(config).toBeInstanceOf(first.MooringError)
    expect(timeout).toBeInstanceOf(first.TimeoutError)
    expect(timeout).not.toBeInstanceOf(first.ConfigError)
    expect(downstream).toBeInstanceOf(first.DownstreamClosedError)
    expect(downstream).not.toBeInstanceOf(first.MooringError)
    expect(new Error('plain')).not.toBeInstanceOf(first.MooringError)
    expect({ code: 'MOORING_CONFIG' }).not.toBeInstanceOf(first.MooringError)
    expect(Object.getOwnPropertySymbols(first.MooringError.prototype)).toContain(Symbol.for('mooring.error'))
  })

  it('holds for clients, so a registration takes a client made by the other copy', async () => {
    const second = await secondCopy()
    const client = second.createClient({ baseUrl: 'http://127.0.0.1:9' })
    try {
      expect(client).toBeInstanceOf(first.MooringClient)
      expect(first.createClient).not.toBe(second.createClient)
      expect(new second.ConfigError('a', 1, 'b')).not.toBeInstanceOf(first.MooringClient)
      expect(client).not.toBeInstanceOf(first.MooringError)

      const registration = first.createRegistration({ client, scope: 'app' })
      expect(registration.client).toBe(client)
      await registration.close()
    } finally {
      await client.close()
    }
  })
})
