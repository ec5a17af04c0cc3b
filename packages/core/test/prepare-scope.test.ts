import { AbortError, ClientClosedError, ConfigError, type ScopeOverrides, TimeoutError } from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { client, hanging, upstream } from './support/fixtures.js'

describe('client.prepareScope()', () => {
  it('opens scopes over the parent pool with the prepared options and each scope its own overrides', async () => {
    const api = await upstream()
    const app = client({ baseUrl: api.url, headers: { 'x-app': 'a' } })
    const scopes = app.prepareScope({ headers: { 'x-prepared': 'p' }, query: { v: '2' } })

    const plain = scopes.open()
    const own = scopes.open({ headers: { 'X-Request-Id': 'r-1', 'x-app': 'b' } })
    await (await plain.get('/one')).dump()
    await (await own.get('/two')).dump()

    expect(plain.dispatcher).toBe(app.dispatcher)
    expect(api.requests.map((r) => r.url)).toEqual(['/one?v=2', '/two?v=2'])
    expect(api.requests[0].headers).toMatchObject({ 'x-app': 'a', 'x-prepared': 'p' })
    expect(api.requests[0].headers['x-request-id']).toBeUndefined()
    // Names lower-cased; an override wins over the parent's header of the same name.
    expect(api.requests[1].headers).toMatchObject({ 'x-app': 'b', 'x-prepared': 'p', 'x-request-id': 'r-1' })
  })

  it('counts the scopes it opened and the ones closed, each once', async () => {
    const api = await upstream()
    const scopes = client({ baseUrl: api.url }).prepareScope()
    const first = scopes.open()
    const second = scopes.open({})
    await first.close()
    await first.close()
    await second.destroy()
    scopes.open()

    expect(scopes.stats()).toEqual({ scopesOpened: 3, scopesClosed: 2 })
  })

  it('aborts a scope through its own signal, and leaves its siblings alone', async () => {
    const api = await hanging()
    const scopes = client({ baseUrl: api.url }).prepareScope()
    const controller = new AbortController()
    const aborted = scopes.open({ signal: controller.signal })
    const sibling = scopes.open()

    const hung = aborted.get('/hang')
    await api.hungCount(1)
    controller.abort('gone')

    await expect(hung).rejects.toBeInstanceOf(AbortError)
    expect((await sibling.get('/ok')).status).toBe(200)
  })

  it('holds each scope to its deadline, given as a time or as time left', async () => {
    const api = await hanging()
    const scopes = client({ baseUrl: api.url }).prepareScope()

    for (const overrides of [{ deadline: Date.now() + 150 }, { deadlineIn: 150 }] as ScopeOverrides[]) {
      const err = await scopes
        .open(overrides)
        .get('/hang')
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TimeoutError)
      expect(err).toMatchObject({ phase: 'total' })
    }
  })

  it('refuses a closed parent, and bad overrides with a ConfigError naming them', async () => {
    const app = client({ baseUrl: 'http://127.0.0.1:9' })
    const scopes = app.prepareScope()

    for (const [overrides, option] of [
      [{ header: { a: 'b' } }, 'header'],
      [{ headers: 'x-a: b' }, 'headers'],
      [{ headers: { 'x-a': 'b\r\nx-evil: 1' } }, 'headers'],
      [{ signal: {} }, 'signal'],
      [{ deadline: 'soon' }, 'deadline'],
      [{ deadlineIn: Number.NaN }, 'deadlineIn'],
    ] as const) {
      const open = () => scopes.open(overrides as ScopeOverrides)
      expect(open).toThrow(ConfigError)
      expect(open).toThrow(expect.objectContaining({ option }))
    }
    expect(() => app.prepareScope({ pool: 'private' } as never)).toThrow(
      expect.objectContaining({ option: 'pool' }),
    )

    await app.close()
    expect(() => scopes.open()).toThrow(ClientClosedError)
    expect(() => app.prepareScope()).toThrow(ClientClosedError)
    expect(scopes.stats().scopesOpened).toBe(0)
  })
})
