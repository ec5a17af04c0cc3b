import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigError, Registration, type MooringClient } from '@mooring/core'
import { afterEach, describe, expect, it } from 'vitest'

const BASE = 'http://127.0.0.1:9'
const open: Registration[] = []

function registration(...args: ConstructorParameters<typeof Registration>): Registration {
  const made = new Registration(...args)
  open.push(made)
  return made
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()))
})

describe("the registration's context", () => {
  it('is off by default: current() throws a ConfigError naming `context`, what to do, and where the client is', () => {
    const plain = registration({ baseUrl: BASE })
    expect(plain.context).toBe(false)
    expect(() => plain.current()).toThrow(ConfigError)
    expect(() => plain.current()).toThrow(
      "context: expected true on the registration to use current() in request scope, or read the request's client from the request, got false",
    )
    const named = registration({ baseUrl: BASE, name: 'billing' }, { requestClient: (name) => `req.${name}` })
    expect(() => named.current()).toThrow(/read the request's client from req\.billing, got false$/)
    // Still a ConfigError when run() was asked for: no context is entered to find the client in.
    const client = named.open({ headers: {} })
    expect(() => named.run(client, () => named.current())).toThrow(
      expect.objectContaining({ option: 'context' }),
    )
  })

  it("follows the plugin's default, which the option overrides either way", () => {
    expect(registration({ baseUrl: BASE }, { context: true }).context).toBe(true)
    expect(registration({ baseUrl: BASE, name: 'a', context: false }, { context: true }).context).toBe(false)
    expect(registration({ baseUrl: BASE, name: 'b', context: true }, { context: false }).context).toBe(true)
  })

  it('never enters one in app scope, where current() is the app client', () => {
    for (const seam of [{}, { context: true }]) {
      const app = registration({ baseUrl: BASE, scope: 'app', context: true }, seam)
      expect(app.context).toBe(false)
      expect(app.current()).toBe(app.client)
      expect(app.run(app.client, () => app.current())).toBe(app.client)
    }
  })

  it("with context: true, current() is the request's client across awaits, and the app client outside", async () => {
    const on = registration({ baseUrl: BASE, context: true })
    const clients = [on.open({ headers: {} }), on.open({ headers: {} })]
    const seen = await Promise.all(
      clients.map((client, i) =>
        on.run(client, async (): Promise<MooringClient[]> => {
          const before = on.current()
          await sleep(5 - i * 3)
          await Promise.resolve()
          return [before, on.current()]
        }),
      ),
    )
    // Identity, not deep equality: two scopes of one client look alike.
    expect(seen.map(([before, after], i) => before === clients[i] && after === clients[i])).toEqual([
      true,
      true,
    ])
    expect(on.current()).toBe(on.client)
    await Promise.all(clients.map((client) => on.release(client)))
  })

  it('refuses a context that is not a boolean, naming the option', () => {
    expect(() => registration({ baseUrl: BASE, context: 1 as unknown as boolean })).toThrow(
      expect.objectContaining({ option: 'context' }),
    )
  })
})
