import { ConfigError, createBinding, createClient, RequestRejectedError } from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { client, upstream } from './support/fixtures.js'

const SECRET = 'hunter2-s3cr3t'

/** The error `make` throws, or undefined. */
function thrown(make: () => { destroy?(): unknown; close?(): unknown } | undefined): unknown {
  try {
    const made = make()
    made?.destroy?.()
  } catch (err) {
    return err
  }
  return undefined
}

describe('a host header is refused', () => {
  it('per request, before anything is sent, so default credentials reach no other virtual host', async () => {
    const up = await upstream()
    const c = client({ baseUrl: up.url, headers: { authorization: `Bearer ${SECRET}` } })
    for (const headers of [
      { host: 'admin.internal' },
      { Host: 'admin.internal' },
      [['HOST', 'x']],
    ] as const) {
      const err = await c.get('/x', { headers: headers as never }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RequestRejectedError)
      expect((err as Error).message).toContain('"host" is not allowed')
      expect((err as Error).message).not.toContain(SECRET)
    }
    expect(up.connections).toBe(0)
  })

  it('in client, scope and binding options, as a ConfigError', () => {
    const base = createClient({ baseUrl: 'http://127.0.0.1:1' })
    try {
      for (const make of [
        () => createClient({ headers: { Host: 'admin.internal' } }),
        () => base.scope({ headers: { host: 'admin.internal' } }),
        () => createBinding({ headers: { host: 'admin.internal' } }),
      ]) {
        const err = thrown(make as never)
        expect(err).toBeInstanceOf(ConfigError)
        expect((err as ConfigError).option).toBe('headers')
        expect((err as Error).message).toContain('"host" is not allowed')
      }
      const err = thrown(() => createBinding({ propagate: ['x-request-id', 'Host'] }) as never)
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).option).toBe('propagate')
    } finally {
      void base.destroy()
    }
  })
})
