import type { IncomingMessage, ServerResponse } from 'node:http'
import { AbortError, ClientClosedError, ConfigError, createClient } from '@mooring/core'
import { Agent, type Dispatcher } from 'undici'
import { describe, expect, it, onTestFinished } from 'vitest'
import { client, upstream } from './support/fixtures.js'
import { sleep, waitFor } from './support/async.js'

const isClosed = (d: Dispatcher): boolean => (d as Agent).closed

/** `/hang` never answers (until the client goes away); `/slow` answers after 150 ms; the rest at once. */
async function handler(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.url === '/hang') return
  if (req.url?.startsWith('/slow')) await sleep(150)
  res.end(`done ${req.url}`)
}

describe('close()', () => {
  it('lets in-flight requests finish within drainTimeout, then leaves no open connection', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    let closeResolved = false
    const answers = [1, 2, 3].map((i) =>
      c.get(`/slow/${i}`).then(async (res) => {
        const text = await res.text()
        // Every answer, body included, is in before close() resolves.
        expect(closeResolved).toBe(false)
        return text
      }),
    )
    await waitFor(() => up.requests.length === 3, 'three requests upstream')
    expect(up.open).toBeGreaterThan(0)

    const closing = c.close({ drainTimeout: 5_000 }).then(() => {
      closeResolved = true
    })
    expect(c.closed).toBe(true)
    // New requests are refused at once, while the old ones drain.
    await expect(c.get('/during-drain')).rejects.toBeInstanceOf(ClientClosedError)

    expect(await Promise.all(answers)).toEqual(['done /slow/1', 'done /slow/2', 'done /slow/3'])
    await closing
    expect(closeResolved).toBe(true)
    expect(up.requests.map((r) => r.url)).not.toContain('/during-drain')
    expect(isClosed(c.dispatcher)).toBe(true)
    await up.waitForOpen(0, 1_000)
  })

  it('aborts what is still in flight past drainTimeout', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    const hanging = c.get('/hang').catch((e: unknown) => e)
    await waitFor(() => up.requests.length === 1, 'the request upstream')

    const started = performance.now()
    await c.close({ drainTimeout: 100 })
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(80)
    expect(elapsed).toBeLessThan(2_000)

    const err = await hanging
    expect(err).toBeInstanceOf(AbortError)
    expect(((err as AbortError).cause as Error).message).toMatch(/client was closed/)
    await up.waitForOpen(0, 1_000)
  })

  it('is idempotent: every call returns the same promise', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    await (await c.get('/x')).dump()
    const first = c.close()
    expect(c.close()).toBe(first)
    expect(c.close({ drainTimeout: 0 })).toBe(first)
    expect(c.destroy()).toBe(first)
    await first
    expect(c.close()).toBe(first)
    await c.close()
    await up.waitForOpen(0, 1_000)
  })

  it('refuses use after close with ClientClosedError, for the client and its scopes', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    const scope = c.scope()
    await c.close()
    expect(c.closed).toBe(true)
    expect(scope.closed).toBe(true)

    const err = await c.get('/after').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ClientClosedError)
    expect((err as ClientClosedError).code).toBe('MOORING_CLIENT_CLOSED')
    await expect(c.post('/after', { json: {} })).rejects.toBeInstanceOf(ClientClosedError)
    await expect(scope.get('/after')).rejects.toBeInstanceOf(ClientClosedError)
    expect(() => c.scope()).toThrow(ClientClosedError)
    expect(up.requests).toHaveLength(0)
  })

  it('rejects a wrong drainTimeout with ConfigError', async () => {
    const c = client({ baseUrl: 'http://127.0.0.1:1' })
    await expect(async () => c.close({ drainTimeout: -1 })).rejects.toThrow(ConfigError)
    await expect(async () => c.close({ drainTimeout: -1 })).rejects.toThrow(/drainTimeout/)
  })
})

describe('destroy()', () => {
  it('aborts in-flight requests at once and closes the pool', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    const hanging = [c.get('/hang'), c.scope().get('/hang')].map((p) => p.catch((e: unknown) => e))
    await waitFor(() => up.requests.length === 2, 'both requests upstream')

    const started = performance.now()
    await c.destroy()
    const errors = await Promise.all(hanging)
    expect(performance.now() - started).toBeLessThan(1_000)
    for (const err of errors) expect(err).toBeInstanceOf(AbortError)
    expect(isClosed(c.dispatcher)).toBe(true)
    await up.waitForOpen(0, 1_000)
  })

  it('cuts a drain short', async () => {
    const up = await upstream(handler)
    const c = client({ baseUrl: up.url })
    const hanging = c.get('/hang').catch((e: unknown) => e)
    await waitFor(() => up.requests.length === 1, 'the request upstream')
    const closing = c.close({ drainTimeout: 10_000 })
    await sleep(20)

    const started = performance.now()
    await c.destroy()
    await closing
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(await hanging).toBeInstanceOf(AbortError)
    await up.waitForOpen(0, 1_000)
  })
})

describe('await using', () => {
  it('closes the client at the end of the block (Symbol.asyncDispose)', async () => {
    const up = await upstream(handler)
    let dispatcher: Dispatcher
    {
      await using c = createClient({ baseUrl: up.url })
      dispatcher = c.dispatcher
      expect(await (await c.get('/x')).text()).toBe('done /x')
      expect(up.open).toBe(1)
    }
    expect(isClosed(dispatcher)).toBe(true)
    await up.waitForOpen(0, 1_000)
  })

  it('closes a scope, and aborts what it left in flight, at the end of its block', async () => {
    const up = await upstream(handler)
    const app = client({ baseUrl: up.url })
    let hanging: Promise<unknown> = Promise.resolve()
    {
      await using scope = app.scope()
      hanging = scope.get('/hang').catch((e: unknown) => e)
      await waitFor(() => up.requests.length === 1, 'the request upstream')
    }
    expect(await hanging).toBeInstanceOf(AbortError)
    expect(app.closed).toBe(false)
    expect(await (await app.get('/x')).text()).toBe('done /x')
  })
})

describe('a given transport', () => {
  it('is not closed by the client unless closeTransport is set', async () => {
    const up = await upstream(handler)
    const transport = new Agent()
    onTestFinished(() => transport.destroy())
    const borrowing = createClient({ baseUrl: up.url, transport })
    expect(await (await borrowing.get('/x')).text()).toBe('done /x')
    await borrowing.close()
    expect(transport.closed).toBe(false)

    const owning = createClient({ baseUrl: up.url, transport, closeTransport: true })
    expect(await (await owning.get('/y')).text()).toBe('done /y')
    await owning.close()
    expect(transport.closed).toBe(true)
    await up.waitForOpen(0, 1_000)
  })
})
