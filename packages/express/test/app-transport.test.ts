import { appTransport } from '@mooring/core/testing'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { waitFor, within } from '../../core/test/support/async.js'
import * as fixture from '../../core/test/support/fixtures.js'
import { register } from './support/serve.js'

async function inProcessApp() {
  const upstream = await fixture.hanging()
  const registration = register({ baseUrl: upstream.url, propagate: ['x-request-id'], context: true })
  const app = express()
  app.use(registration.middleware)
  app.get('/profile', async (req, res) => {
    const profile = await (await registration.current().get('/profile')).json<{
      headers: Record<string, string>
    }>()
    res.json({ forwarded: profile.headers['x-request-id'], scoped: req.http !== registration.client })
  })
  app.get('/wait', async (req, res) => {
    res.send(await (await req.http.get('/hang/in-process')).text())
  })
  // Never listened on: the caller reaches it through appTransport, with no socket between them.
  const caller = fixture.client({ baseUrl: 'http://app.test', transport: appTransport(app) })
  return { registration, caller, upstream }
}

describe('in process, through core appTransport', () => {
  it('serves a call with no socket, the request scope opened, propagated and closed', async () => {
    const { registration, caller, upstream } = await inProcessApp()

    const res = await caller.get('/profile', { headers: { 'x-request-id': 'in-process-1' } })

    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ forwarded: 'in-process-1', scoped: true })
    expect(upstream.requests.map((r) => r.headers['x-request-id'])).toEqual(['in-process-1'])
    await waitFor(() => registration.stats().scopesClosed === 1, 'the scope closed')
    expect(registration.stats().scopesOpened).toBe(1)
  })

  it("aborts the app's upstream call when the in-process caller aborts", async () => {
    const { registration, caller, upstream } = await inProcessApp()
    const abort = new AbortController()

    const pending = caller.get('/wait', { signal: abort.signal }).catch((err: unknown) => err)
    await upstream.hungCount(1)
    abort.abort()

    expect(await pending).toMatchObject({ name: 'AbortError' })
    await within(upstream.hung[0].connectionClosed, 1_000, 'the upstream connection to close')
    await waitFor(() => registration.stats().scopesClosed === 1, 'the scope closed')
  })
})
