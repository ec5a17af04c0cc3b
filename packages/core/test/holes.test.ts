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

describe('a polluted Object.prototype', () => {
  it('is sent neither as a header nor as a query parameter, and breaks no option check', async () => {
    const up = await upstream()
    const proto = Object.prototype as Record<string, unknown>
    proto['x-polluted'] = 'evil'
    try {
      const c = client({ baseUrl: up.url, headers: { 'x-default': '1' }, query: { d: '1' } })
      const scope = c.scope({ headers: { 'x-scope': '1' }, query: { s: '1' } })
      await (await scope.get('/x', { headers: { 'x-own': '1' }, query: { q: '1' } })).dump()
      await (await scope.post('/y', { json: { a: 1 } })).dump()
    } finally {
      delete proto['x-polluted']
    }
    expect(up.requests.map((r) => r.url)).toEqual(['/x?d=1&s=1&q=1', '/y?d=1&s=1'])
    for (const { headers } of up.requests) {
      expect(headers['x-polluted']).toBeUndefined()
      expect(headers['x-default']).toBe('1')
      expect(headers['x-scope']).toBe('1')
    }
    expect(up.requests[0].headers['x-own']).toBe('1')
  })
})
