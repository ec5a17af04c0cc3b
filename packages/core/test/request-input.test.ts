import { ConfigError, type MooringRequestInit, RequestRejectedError } from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { client, upstream } from './support/fixtures.js'

describe('per-request input is checked as strictly as client options', () => {
  it('refuses an unknown request key, naming it, with a hint where one fits', async () => {
    const up = await upstream()
    const errors: string[] = []
    const http = client({ baseUrl: up.url, hooks: { onError: (e) => errors.push(e.error.message) } })
    const params = http.get('/x', { params: { page: 2 } } as unknown as MooringRequestInit)
    await expect(params).rejects.toBeInstanceOf(ConfigError)
    await expect(params).rejects.toMatchObject({ option: 'params' })
    await expect(params).rejects.toThrow(/use query/)
    await expect(http.request({ path: '/x', data: { a: 1 } } as never)).rejects.toThrow(
      /data: .*use json \(or body\)/,
    )
    await expect(http.get('/x', { method: 'POST' } as never)).rejects.toThrow(
      /client\.request\(\{ method, path/,
    )
    await expect(http.post('/x', { bogus: 1 } as never)).rejects.toThrow(
      /bogus: expected a known request option \(one of query, headers, body, json/,
    )
    // request() knows method and path; the verbs do not need them.
    expect((await http.request({ method: 'get', path: '/ok', query: { a: 1 } })).status).toBe(200)
    expect(up.requests.map((r) => r.url)).toEqual(['/ok?a=1'])
    // Refused calls are reported like any failed call.
    expect(errors).toHaveLength(4)
  })

  it('refuses a header value that is not a string, a number or an array of strings', async () => {
    const up = await upstream()
    const http = client({ baseUrl: up.url })
    const secret = () => 'token-in-source'
    const fn = http.get('/x', { headers: { 'x-fn': secret as never } })
    await expect(fn).rejects.toBeInstanceOf(RequestRejectedError)
    await expect(fn).rejects.toThrow(/header "x-fn" has a value of type function; expected a string/)
    await expect(fn).rejects.not.toThrow(/token-in-source/)
    await expect(http.get('/x', { headers: { 'x-obj': {} as never } })).rejects.toThrow(/type object/)
    await expect(http.get('/x', { headers: { 'x-list': ['a', 1] as never } })).rejects.toThrow(
      /type number; expected an array of strings/,
    )
    await expect(http.get('/x', { headers: { 'x-nan': Number.NaN } })).rejects.toThrow(/type number/)
    expect(up.requests).toHaveLength(0)
    // Client defaults are checked the same way, at creation.
    expect(() => client({ headers: { 'x-fn': secret as never } })).toThrow(ConfigError)

    const ok = await (await http.get('/ok', { headers: { 'x-num': 5, 'x-list': ['a', 'b'] } })).json<{
      headers: Record<string, string>
    }>()
    expect(ok.headers['x-num']).toBe('5')
    expect(ok.headers['x-list']).toBe('a, b')
  })
})
