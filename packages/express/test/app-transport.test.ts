import { appTransport, createClient, type MooringClient } from '@mooring/core'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { type ExpressMooring, mooring } from '../src/index.js'
import { type HangingUpstream, startHangingUpstream, within } from './hanging-upstream.js'
import { until } from './serve.js'

let upstream: HangingUpstream | undefined
let http: ExpressMooring | undefined
let caller: MooringClient | undefined

afterEach(async () => {
  await caller?.close()
  await http?.close()
  await upstream?.close()
  caller = http = upstream = undefined
})

async function inProcessApp() {
  upstream = await startHangingUpstream()
  const registration = mooring({ baseUrl: upstream.url, propagate: ['x-request-id'] })
  http = registration
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
  caller = createClient({ baseUrl: 'http://app.test', transport: appTransport(app) })
  return { registration, caller, upstream }
}

describe('in process, through core appTransport', () => {
  it('serves a call with no socket, the request scope opened, propagated and closed', async () => {
    const { registration, caller, upstream } = await inProcessApp()

    const res = await caller.get('/profile', { headers: { 'x-request-id': 'in-process-1' } })

    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ forwarded: 'in-process-1', scoped: true })
    expect(upstream.requests.map((r) => r.headers['x-request-id'])).toEqual(['in-process-1'])
    await until(() => registration.stats().scopesClosed === 1, 'the scope closed')
    expect(registration.stats().scopesOpened).toBe(1)
  })

  it("aborts the app's upstream call when the in-process caller aborts", async () => {
    const { registration, caller, upstream } = await inProcessApp()
    const abort = new AbortController()

    const pending = caller.get('/wait', { signal: abort.signal }).catch((err: unknown) => err)
    await upstream.hungCount(1)
    abort.abort()

    expect(await pending).toMatchObject({ name: 'AbortError' })
    await within(1_000, 'the upstream connection closed', upstream.hung[0].connectionClosed)
    await until(() => registration.stats().scopesClosed === 1, 'the scope closed')
  })
})
