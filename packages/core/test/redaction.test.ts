import diagnosticsChannel from 'node:diagnostics_channel'
import { inspect } from 'node:util'
import {
  ConfigError,
  createClient,
  HttpStatusError,
  RequestRejectedError,
  type ResponseEvent,
  redactUrl,
} from '@mooring/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { client, upstream } from './support/fixtures.js'

const SECRET = 'hunter2-s3cr3t'

describe('redactUrl fails safe', () => {
  it('redacts every query value, whatever the key is called', () => {
    for (const key of ['accessKey', 'jwt', 'sessionid', 'pass', 'page', 'X-Amz-Credential', 'q']) {
      expect(redactUrl(`https://api.example/x?${key}=${SECRET}`)).toBe(
        `https://api.example/x?${key}=[redacted]`,
      )
    }
    expect(redactUrl(`/x?a=${SECRET}&${SECRET}&b=${SECRET}`)).toBe('/x?a=[redacted]&[redacted]&b=[redacted]')
    expect(redactUrl('/x?flag&n=1', new Set(['flag']))).toBe('/x?flag&n=[redacted]')
  })

  it('shows only the values of the keys it is told to', () => {
    const shown = new Set(['page', 'q'])
    expect(redactUrl(`/x?page=2&jwt=${SECRET}&q=shoes&sessionid=${SECRET}`, shown)).toBe(
      '/x?page=2&jwt=[redacted]&q=shoes&sessionid=[redacted]',
    )
    // The key is compared decoded, so an encoded name is no way around it.
    expect(redactUrl('/x?%70age=2', shown)).toBe('/x?%70age=2')
  })

  it('drops the fragment, with whatever query-like text it holds', () => {
    expect(redactUrl(`https://api.example/cb#access_token=${SECRET}`)).toBe('https://api.example/cb')
    expect(redactUrl(`/x?page=1#t?token=${SECRET}`, new Set(['page', 'token']))).toBe('/x?page=1')
  })

  it('redacts user info in forms no URL parser accepts', () => {
    for (const url of [
      `ftp:\\\\u:${SECRET}@host/x`,
      `http://u:${SECRET}@host/x`,
      `http:u:${SECRET}@host`,
      `//u:${SECRET}@host/x`,
      `\\\\u:${SECRET}@host`,
      `https://u:${SECRET}@host?x=1`,
      // A password with a slash: no parser reads this, so the whole authority goes.
      `http://u:pa/${SECRET}@host`,
      `http://u:${SECRET}@host/users/a@host`,
    ]) {
      const redacted = redactUrl(url)
      expect(redacted).not.toContain(SECRET)
      expect(redacted).toContain('[redacted]@host')
    }
    // An @ in a plain path is no user info.
    expect(redactUrl('/users/a@b.example')).toBe('/users/a@b.example')
    expect(redactUrl('https://host/users/a@b')).toBe('https://host/users/a@b')
    expect(redactUrl(`http://u:${SECRET}@host/users/a@b`)).toBe('http://[redacted]@host/users/a@b')
  })
})

describe('the fragment is never sent', () => {
  it('the default query goes before it, and it is dropped from the request-target', async () => {
    const up = await upstream()
    const c = client({ baseUrl: `${up.url}/v1`, query: { api_key: SECRET } })
    await (await c.get('/x#section')).dump()
    await (await c.get('/y?page=2#frag?z=1', { query: { n: 1 } })).dump()
    await (await c.get(`${up.url}/v1/z#top`)).dump()
    expect(up.requests.map((r) => r.url)).toEqual([
      `/v1/x?api_key=${SECRET}`,
      `/v1/y?page=2&api_key=${SECRET}&n=1`,
      `/v1/z?api_key=${SECRET}`,
    ])
  })
})

describe('refused paths', () => {
  it('a user-info path that is no URL is not quoted', async () => {
    const up = await upstream()
    const c = client({ baseUrl: up.url })
    for (const path of [`ftp:\\\\u:${SECRET}@host`, `ftp://u:${SECRET}@host/x`]) {
      const err = await c.get(path).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RequestRejectedError)
      for (const text of [(err as Error).message, JSON.stringify(err), inspect(err)]) {
        expect(text).not.toContain(SECRET)
      }
    }
    expect(up.connections).toBe(0)
  })
})

describe('HttpStatusError shows only safe response headers', () => {
  it('neither JSON.stringify nor util.inspect shows set-cookie or an echoed credential', async () => {
    const up = await upstream((req, res) => {
      res.writeHead(401, {
        'content-type': 'text/plain',
        'content-length': '2',
        'retry-after': '3',
        'set-cookie': `sid=${SECRET}; HttpOnly`,
        'x-echo-authorization': String(req.headers.authorization),
        location: `https://login.example/?token=${SECRET}`,
      })
      res.end('no')
    })
    const c = client({
      baseUrl: up.url,
      headers: { authorization: `Bearer ${SECRET}` },
      raiseForStatus: true,
    })
    const err = (await c.get('/x').catch((e: unknown) => e)) as HttpStatusError
    expect(err).toBeInstanceOf(HttpStatusError)
    const json = JSON.stringify(err)
    const shown = inspect(err, { depth: 8 })
    for (const text of [json, shown, String(err)]) expect(text).not.toContain(SECRET)
    expect(JSON.parse(json).headers).toEqual({
      'content-type': 'text/plain',
      'retry-after': '3',
      'set-cookie': '[redacted]',
      'x-echo-authorization': '[redacted]',
      location: 'https://login.example/?token=[redacted]',
      'content-length': '2',
      connection: 'keep-alive',
      'keep-alive': 'timeout=30',
      date: expect.any(String),
    })
    expect(shown).toContain("'set-cookie': '[redacted]'")
    // The caller still has the response, and its real headers, in code.
    expect(err.response.headers['set-cookie']).toBe(`sid=${SECRET}; HttpOnly`)
    expect(err.response.status).toBe(401)
    await err.response.dump()
  })
})

describe('a response in a log', () => {
  it('shows the redacted URL and only safe headers through JSON.stringify and util.inspect', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': `sid=${SECRET}` })
      res.end('ok')
    })
    const c = client({ baseUrl: up.url })
    const res = await c.get(`/x?jwt=${SECRET}`)
    const json = JSON.parse(JSON.stringify({ res }))
    expect(json.res).toMatchObject({
      status: 200,
      method: 'GET',
      url: `${up.url}/x?jwt=[redacted]`,
      headers: { 'content-type': 'text/plain', 'set-cookie': '[redacted]' },
      attempts: 1,
    })
    const shown = inspect({ res }, { depth: 8 })
    expect(shown).toContain('MooringResponse')
    expect(shown).toContain("'content-type': 'text/plain'")
    for (const text of [JSON.stringify(res), shown]) expect(text).not.toContain(SECRET)
    expect(res.headers['set-cookie']).toBe(`sid=${SECRET}`)
    expect(await res.text()).toBe('ok')
  })
})

describe('redact.showQuery', () => {
  it('reveals the named keys in errors, events, diagnostics and response.url; nothing else', async () => {
    const up = await upstream((_req, res) => res.writeHead(404).end())
    const events: unknown[] = []
    const published = (message: unknown): void => {
      events.push(message)
    }
    diagnosticsChannel.subscribe('mooring:response', published)
    onTestFinished(() => {
      diagnosticsChannel.unsubscribe('mooring:response', published)
    })
    const c = client({
      baseUrl: up.url,
      query: { accessKey: SECRET },
      redact: { showQuery: ['page', 'q'] },
      raiseForStatus: true,
      hooks: { onResponse: (e) => events.push(e) },
    })
    const err = (await c
      .get('/x?page=2#frag', { query: { q: 'shoes', jwt: SECRET } })
      .catch((e: unknown) => e)) as HttpStatusError
    expect(err).toBeInstanceOf(HttpStatusError)
    const expected = `${up.url}/x?page=2&accessKey=[redacted]&q=shoes&jwt=[redacted]`
    expect(err.url).toBe(expected)
    expect(err.response.url).toBe(expected)
    expect(err.message).toContain(expected)
    expect(events).toHaveLength(2)
    for (const event of events) expect((event as ResponseEvent).url).toBe(expected)
    await err.response.dump()
  })

  it('is validated', () => {
    const made = (redact: unknown): unknown => {
      try {
        createClient({ redact } as never).destroy()
      } catch (err) {
        return err
      }
      return undefined
    }
    for (const [value, option] of [
      ['page', 'redact'],
      [{ showQuery: 'page' }, 'redact.showQuery'],
      [{ showQuery: ['page', ''] }, 'redact.showQuery'],
      [{ showQuery: [1] }, 'redact.showQuery'],
      [{ hideQuery: ['x'] }, 'redact.hideQuery'],
    ] as const) {
      const err = made(value)
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).option).toBe(option)
    }
    expect(made({ showQuery: ['page'] })).toBeUndefined()
  })
})
