import { createClient } from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { sleep, waitFor } from '../support/async.js'
import { fixtures } from '../support/fixtures.js'

/** The first request is slow (`slowMs`), the others answer at once; records which ended early. */
async function firstIsSlow(slowMs = 2_000, status = 200) {
  let n = 0
  const ended: Array<{ n: number; early: boolean }> = []
  const up = await fixtures().upstream(async (_req, res) => {
    const mine = ++n
    let closed = false
    res.on('close', () => {
      closed = true
      ended.push({ n: mine, early: !res.writableFinished })
    })
    if (mine === 1) {
      for (let waited = 0; waited < slowMs && !closed; waited += 10) await sleep(10)
    }
    if (!closed) res.writeHead(status).end(`answer ${mine}`)
  })
  return { up, ended }
}

describe('hedging, opt-in', () => {
  it('a hedge sent after delay wins; the loser is aborted and the upstream sees it end', async () => {
    const { up, ended } = await firstIsSlow()
    const c = fixtures().client({ baseUrl: up.url, hedge: { delay: 50 } })
    const started = performance.now()
    const res = await c.get('/slow')
    expect(await res.text()).toBe('answer 2')
    expect(performance.now() - started).toBeLessThan(1_500)
    expect(up.requests).toHaveLength(2)
    await waitFor(() => ended.some((e) => e.n === 1), 'the upstream to see the loser end', 2_000)
    expect(ended.find((e) => e.n === 1)?.early).toBe(true)
    expect(c.stats().inFlight).toBe(0)
    expect(c.stats().origins[up.url]?.retries).toEqual({ hedge: 1 })
  })

  it('the first call answering within delay sends no hedge', async () => {
    const { up } = await firstIsSlow(0)
    const c = fixtures().client({ baseUrl: up.url, hedge: { delay: 200 } })
    expect(await (await c.get('/fast')).text()).toBe('answer 1')
    await sleep(250)
    expect(up.requests).toHaveLength(1)
  })

  it('non-idempotent calls are never hedged', async () => {
    const { up } = await firstIsSlow(200)
    const c = fixtures().client({ baseUrl: up.url, hedge: { delay: 20 } })
    expect(await (await c.post('/orders', { json: { a: 1 } })).text()).toBe('answer 1')
    expect(up.requests).toHaveLength(1)
  })

  it('hedges take from the retry budget: with it spent, none is sent', async () => {
    const { up } = await firstIsSlow(300)
    const c = fixtures().client({
      baseUrl: up.url,
      hedge: { delay: 20, max: 3 },
      retry: { budget: { ratio: 0, minPerSecond: 0 } },
    })
    expect(await (await c.get('/slow')).text()).toBe('answer 1')
    expect(up.requests).toHaveLength(1)
    expect(c.stats().origins[up.url]?.budgetRefusals).toBeGreaterThanOrEqual(1)
  })

  it('max bounds the calls in flight', async () => {
    let n = 0
    const up = await fixtures().upstream(async (_req, res) => {
      n++
      await sleep(150)
      res.end('late')
    })
    const c = fixtures().client({ baseUrl: up.url, hedge: { delay: 20, max: 3 } })
    expect(await (await c.get('/all-slow')).text()).toBe('late')
    expect(n).toBe(3)
  })

  it('bad options are ConfigErrors naming the field', () => {
    expect(() => createClient({ hedge: { delay: 0 } })).toThrow(
      /hedge\.delay: expected a number of milliseconds > 0/,
    )
    expect(() => createClient({ hedge: { delay: 10, max: 1 } })).toThrow(/hedge\.max/)
  })
})
