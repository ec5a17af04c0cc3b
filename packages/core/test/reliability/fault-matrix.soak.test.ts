import { createClient, type MooringClient, MooringError, type MooringResponse } from '@mooring/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../support/upstream.js'
import { countHandles, type HandleCounts, noMoreHandlesThan } from './support/handles.js'
import { startRawUpstream, type RawUpstream } from './support/raw-upstream.js'
import { BASE_OPTIONS, CALL_PATH, FAULTS, type Fault, METHODS, type Method, type Outcome } from './matrix.js'

/** What a cell observed, in the shape of the matrix's outcomes. */
type Observed =
  | { settles: 'response'; status: number; attempts: number; retries: string[]; retryAfter?: number }
  | {
      settles: 'error'
      at: 'head' | 'body'
      error: string
      code: string
      causeCode?: string
      phase?: string
      delivery?: string
      attempts: number
      retries: string[]
    }

/** A port nothing listens on: a server is started and closed to get one. */
async function refusedUrl(): Promise<string> {
  const gone = await startRawUpstream(() => {})
  await gone.close()
  return gone.url
}

function describeError(at: 'head' | 'body', err: unknown): Observed {
  if (!(err instanceof MooringError)) throw err
  const e = err as MooringError & { causeCode?: string; phase?: string; delivery?: string }
  const observed: Observed = {
    settles: 'error',
    at,
    error: e.name,
    code: e.code,
    attempts: e.attempts,
    retries: e.retries.map((r) => r.reason),
  }
  if (e.causeCode !== undefined) observed.causeCode = e.causeCode
  if (e.phase !== undefined) observed.phase = e.phase
  if (e.delivery !== undefined) observed.delivery = e.delivery
  return observed
}

async function call(client: MooringClient, method: Method): Promise<Observed> {
  let res: MooringResponse
  try {
    res = await client.request({ method, path: CALL_PATH, json: method === 'POST' ? { n: 1 } : undefined })
  } catch (err) {
    return describeError('head', err)
  }
  try {
    await res.text()
  } catch (err) {
    return describeError('body', err)
  }
  const observed: Observed = {
    settles: 'response',
    status: res.status,
    attempts: res.attempts,
    retries: res.retries.map((r) => r.reason),
  }
  if (res.retryAfter !== undefined) observed.retryAfter = res.retryAfter
  return observed
}

function expected(outcome: Outcome): Observed {
  const { sent: _sent, ...rest } = outcome
  return { ...rest, retries: [...outcome.retries] } as Observed
}

/** How much later than timeout.total a call may settle: the deadline sweeper ticks every 25 ms. */
const SETTLE_SLACK_MS = 500

let handlesBefore: HandleCounts

beforeAll(() => {
  handlesBefore = countHandles()
})

afterAll(async () => {
  // Every socket, server and timer the matrix opened is gone: none of its cells leaked one.
  await waitFor(() => noMoreHandlesThan(handlesBefore), 'no more live handles than before the matrix', 2_000)
})

describe('the fault matrix', () => {
  it('covers every fault once, for GET and POST', () => {
    expect(new Set(FAULTS.map((f) => f.id)).size).toBe(FAULTS.length)
    for (const f of FAULTS) expect(Object.keys(f.expect).sort()).toEqual([...METHODS].sort())
  })

  describe.each(FAULTS.map((f) => [f.id, f] as [string, Fault]))('%s', (_id, f) => {
    it.each(METHODS.map((m) => [m]))('%s', async (method) => {
      const outcome = f.expect[method]
      let upstream: RawUpstream | undefined
      let url: string
      if (f.upstream.kind === 'refused') url = await refusedUrl()
      else {
        upstream = await startRawUpstream(
          f.upstream.behaviour,
          f.upstream.tls === undefined ? {} : { tls: f.upstream.tls },
        )
        url = f.upstream.https ? upstream.url.replace('http:', 'https:') : upstream.url
      }
      const client = createClient({ ...BASE_OPTIONS, ...f.options, baseUrl: url })
      try {
        if (f.warm) {
          expect((await (await client.get('/warm')).text()).length).toBeGreaterThan(0)
          if (f.afterWarm === 'wait-for-idle-close') await upstream!.waitForOpen(0)
        }
        const sentBefore = upstream?.requests.length ?? 0
        const started = performance.now()
        const observed = await call(client, method)
        const elapsed = performance.now() - started

        expect(observed).toEqual(expected(outcome))
        expect((upstream?.requests.length ?? 0) - sentBefore).toBe(outcome.sent)
        expect(elapsed).toBeLessThan(BASE_OPTIONS.timeout.total + SETTLE_SLACK_MS)
        expect(client.stats().inFlight).toBe(0)
        await client.close()
        // Nothing of the client is left on the upstream's side either.
        await upstream?.waitForOpen(0, 1_000)
      } finally {
        await client.destroy()
        await upstream?.close()
      }
    })
  })
})
