import { describe, expect, it } from 'vitest'
import { TimeoutError } from '../src/index.js'
import * as fixture from './support/fixtures.js'

describe('headers and body timeouts are kept to the sweeper tick, not undici’s one-second clock', () => {
  it('a 150 ms headers timeout fires well before a 900 ms response', async () => {
    const upstream = await fixture.upstream((_req, res) => {
      setTimeout(() => res.end('late'), 900).unref()
    })
    const client = fixture.client({ baseUrl: upstream.url, retry: false })
    const started = performance.now()
    const error = await client.get('/slow', { timeout: { headers: 150 } }).catch((e: unknown) => e)
    const elapsed = performance.now() - started
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).phase).toBe('headers')
    expect(elapsed).toBeGreaterThanOrEqual(140)
    expect(elapsed).toBeLessThan(700)
  })

  it('a 150 ms body-idle timeout fires when the body stalls, not while chunks keep coming', async () => {
    const upstream = await fixture.upstream((req, res) => {
      res.writeHead(200)
      let sent = 0
      const timer = setInterval(() => {
        res.write('x')
        // /stall stops after 3 chunks; /steady keeps a chunk every 50 ms for 600 ms.
        if (++sent === (req.url === '/stall' ? 3 : 12)) {
          clearInterval(timer)
          if (req.url !== '/stall') res.end()
        }
      }, 50)
      res.on('close', () => clearInterval(timer))
    })
    const client = fixture.client({ baseUrl: upstream.url, retry: false, timeout: { body: 150 } })
    expect(await (await client.get('/steady')).text()).toBe('x'.repeat(12))
    const res = await client.get('/stall')
    const error = await res.text().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).phase).toBe('body')
  })

  it('a headers timeout is retried only when the policy names it', async () => {
    let calls = 0
    const upstream = await fixture.upstream((_req, res) => {
      calls++
      if (calls === 1) setTimeout(() => res.end('late'), 800).unref()
      else res.end('fast')
    })
    const client = fixture.client({ baseUrl: upstream.url })
    await expect(client.get('/x', { timeout: { headers: 100 } })).rejects.toMatchObject({ phase: 'headers' })
    calls = 0
    const res = await client.get('/x', {
      timeout: { headers: 100 },
      retry: { timeouts: ['connect', 'headers'], backoff: { base: 1, max: 5 } },
    })
    expect(await res.text()).toBe('fast')
    expect(res.retries.map((r) => r.reason)).toEqual(['timeout:headers'])
  })
})
