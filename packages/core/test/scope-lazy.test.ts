import { describe, expect, it } from 'vitest'
import { TimeoutError } from '../src/index.js'
import * as fixture from './support/fixtures.js'

describe('scopes pay only for what they use', () => {
  it('an isolated scope opens its pool on its first request, not before', async () => {
    const upstream = await fixture.upstream()
    const client = fixture.client({ baseUrl: upstream.url })
    const idle = client.scope({ pool: 'isolated' })
    await idle.close()
    const busy = client.scope({ pool: 'isolated' })
    const child = busy.scope({ headers: { 'x-child': '1' } })
    expect(busy.dispatcher).not.toBe(client.dispatcher)
    expect(child.dispatcher).toBe(busy.dispatcher)
    await (await child.get('/x')).text()
    expect(upstream.connections).toBe(1)
    await busy.close()
    await upstream.waitForOpen(0)
  })

  it('a deadline that ends a call early is reported with the budget it really had', async () => {
    const upstream = await fixture.upstream(() => {})
    const client = fixture.client({ baseUrl: upstream.url })
    const scope = client.scope({ deadline: Date.now() + 200 })
    const error = await scope.get('/slow').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).phase).toBe('total')
    expect((error as TimeoutError).timeout).toBeLessThanOrEqual(200)
    expect((error as TimeoutError).message).not.toContain('60000')
    await scope.close()
  })
})
