import { inspect } from 'node:util'
import { ConfigError, ConnectionError, createClient, MooringError } from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { startAuthProxy } from '../support/auth-proxy.js'
import { fixtures } from '../support/fixtures.js'

const SECRET = 's3cr3t-Pr0xy-pa55'
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`

describe('an authenticated explicit proxy', () => {
  it('credentials in the proxy URL are sent as Proxy-Authorization on the CONNECT', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream((_req, res) => res.end('through'))
    const proxy = await startAuthProxy(basic('user', SECRET))
    const c = client({ baseUrl: up.url, proxy: proxy.url.replace('http://', `http://user:${SECRET}@`) })
    const res = await c.get('/a')
    expect(await res.text()).toBe('through')
    expect(proxy.tunnels).toBe(1)
    expect(proxy.seen).toEqual([basic('user', SECRET)])
    // The upstream never sees the proxy's credentials.
    expect(up.requests[0]?.headers['proxy-authorization']).toBeUndefined()
  })

  it('percent-encoded credentials in the URL are decoded before they are encoded', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream((_req, res) => res.end('ok'))
    const proxy = await startAuthProxy(basic('us@r', 'p:ss/word'))
    const c = client({ baseUrl: up.url, proxy: proxy.url.replace('http://', 'http://us%40r:p%3Ass%2Fword@') })
    expect(await (await c.get('/')).text()).toBe('ok')
  })

  it('{ url, token } sends the token as it is', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream((_req, res) => res.end('ok'))
    const proxy = await startAuthProxy(`Bearer ${SECRET}`)
    const c = client({ baseUrl: up.url, proxy: { url: proxy.url, token: `Bearer ${SECRET}` } })
    expect(await (await c.get('/')).text()).toBe('ok')
    expect(proxy.tunnels).toBe(1)
  })

  it('wrong credentials fail with a MooringError that shows no secret', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream((_req, res) => res.end('ok'))
    const proxy = await startAuthProxy(basic('user', 'right'))
    const c = client({
      baseUrl: up.url,
      proxy: proxy.url.replace('http://', `http://user:${SECRET}@`),
      retry: false,
    })
    const err = await c.get('/').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MooringError)
    expect(err).toBeInstanceOf(ConnectionError)
    expect(proxy.refused).toBe(1)
    const shown = [String(err), inspect(err, { depth: 10 }), JSON.stringify(err), (err as Error).stack].join(
      '\n',
    )
    expect(shown).not.toContain(SECRET)
    expect(shown).not.toContain(Buffer.from(`user:${SECRET}`).toString('base64'))
  })

  it('the proxy credentials show nowhere: not in inspect or JSON of the client, nor in config errors', () => {
    const c = createClient({ proxy: `http://user:${SECRET}@127.0.0.1:3128` })
    const shown = [inspect(c, { depth: 10, showHidden: true }), JSON.stringify(c)].join('\n')
    expect(shown).not.toContain(SECRET)
    void c.destroy()
    const errors = [
      () => createClient({ proxy: `http://user:${SECRET}@127.0.0.1:3128/path` }),
      () => createClient({ proxy: `ftp://user:${SECRET}@127.0.0.1:3128` }),
      () => createClient({ proxy: { url: `http://user:${SECRET}@127.0.0.1:3128`, token: 'Basic x' } }),
      () => createClient({ proxy: { url: 'http://127.0.0.1:3128', token: `${SECRET}\n` } }),
      () => createClient({ proxy: { url: 'http://127.0.0.1:3128', tokn: SECRET } as never }),
    ]
    for (const make of errors) {
      let err: unknown
      try {
        make()
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).option).toMatch(/^proxy/)
      expect(String(err) + inspect(err)).not.toContain(SECRET)
    }
  })
})
