import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createClient, type MooringClient } from '../src/index.js'
import { startUpstream, type Upstream } from './support/upstream.js'

let upstream: Upstream
let client: MooringClient

beforeEach(async () => {
  upstream = await startUpstream()
  client = createClient({ baseUrl: upstream.url, headers: { authorization: 'Bearer s3cret' } })
})
afterEach(async () => {
  await client.close()
  await upstream.close()
})

describe('smoke', () => {
  it('gets json', async () => {
    const res = await client.get('/hello', { query: { a: 1 } })
    expect(res.status).toBe(200)
    const body = await res.json<{ url: string; headers: Record<string, string> }>()
    expect(body.url).toBe('/hello?a=1')
    expect(body.headers.authorization).toBe('Bearer s3cret')
  })
  it('posts json', async () => {
    const res = await client.post('/x', { json: { a: 1 } })
    const body = await res.json<{ body: string; headers: Record<string, string> }>()
    expect(body.body).toBe('{"a":1}')
    expect(body.headers['content-type']).toBe('application/json')
  })
})
