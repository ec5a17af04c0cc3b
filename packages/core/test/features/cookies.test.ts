import { createClient } from '@mooring/core'
import { CookieJar } from 'tough-cookie'
import { describe, expect, it } from 'vitest'
import { fixtures } from '../support/fixtures.js'

/** `/login?user=X` sets `session=X`; `/me` answers with the cookie header it got. */
function sessions() {
  return fixtures().upstream((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/login') {
      res.setHeader('set-cookie', [
        `session=${url.searchParams.get('user')}; Path=/; HttpOnly`,
        'tracker=1; Domain=evil.example; Path=/',
      ])
      res.end('in')
      return
    }
    res.end(req.headers.cookie ?? '')
  })
}

describe('cookies, opt-in', () => {
  it('cookies: true keeps a jar per scope: one user’s session never reaches another’s request', async () => {
    const up = await sessions()
    const c = fixtures().client({ baseUrl: up.url, cookies: true })
    const alice = c.scope()
    const bob = c.scope()
    await (await alice.get('/login', { query: { user: 'alice' } })).dump()
    await (await bob.get('/login', { query: { user: 'bob' } })).dump()
    expect(await (await alice.get('/me')).text()).toBe('session=alice')
    expect(await (await bob.get('/me')).text()).toBe('session=bob')
    expect(await (await c.scope().get('/me')).text()).toBe('')
    expect(await (await c.get('/me')).text()).toBe('')
    // Sent alongside the request's own cookie header.
    expect(await (await alice.get('/me', { headers: { cookie: 'own=1' } })).text()).toBe(
      'own=1; session=alice',
    )
  })

  it('cookies never cross origins, not even to another port of the same host', async () => {
    const a = await sessions()
    const b = await sessions()
    const c = fixtures().client({ baseUrl: a.url, cookies: true, allowedOrigins: [b.url] })
    await (await c.get('/login', { query: { user: 'alice' } })).dump()
    expect(await (await c.get('/me')).text()).toBe('session=alice')
    expect(await (await c.get(`${b.url}/me`)).text()).toBe('')
  })

  it('an app-wide jar is asked for explicitly, and then shared by every scope', async () => {
    const up = await sessions()
    const jar = new CookieJar()
    const c = fixtures().client({ baseUrl: up.url, cookies: { jar } })
    await (await c.scope().get('/login', { query: { user: 'cli' } })).dump()
    expect(await (await c.scope().get('/me')).text()).toBe('session=cli')
    expect(jar.getCookieStringSync(`${up.url}/`)).toBe('session=cli')
  })

  it("a scope's paginate carries the scope's cookies on every page", async () => {
    const up = await fixtures().upstream((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      if (url.pathname === '/login') {
        res.setHeader('set-cookie', 'session=alice; Path=/')
        res.end()
        return
      }
      const page = Number(url.searchParams.get('page') ?? '1')
      if (page < 3) res.setHeader('link', `</list?page=${page + 1}>; rel="next"`)
      res.end(req.headers.cookie ?? '')
    })
    const alice = fixtures().client({ baseUrl: up.url, cookies: true }).scope()
    await (await alice.get('/login')).dump()
    const seen: string[] = []
    for await (const page of alice.paginate('/list')) seen.push(await page.text())
    expect(seen).toEqual(['session=alice', 'session=alice', 'session=alice'])
  })

  it('off by default: no cookie is kept', async () => {
    const up = await sessions()
    const c = fixtures().client({ baseUrl: up.url })
    await (await c.get('/login', { query: { user: 'alice' } })).dump()
    expect(await (await c.get('/me')).text()).toBe('')
  })

  it('a bad value is a ConfigError naming cookies', () => {
    expect(() => createClient({ cookies: 'yes' as never })).toThrow(
      /cookies: expected true \(a jar per scope\)/,
    )
    expect(() => createClient({ cookies: { jar: {} } as never })).toThrow(/cookies:/)
  })
})
