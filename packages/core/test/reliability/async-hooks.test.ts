import { ConnectionError, type Hooks } from '@mooring/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sleep, waitFor } from '../support/async.js'
import { client, upstream } from '../support/fixtures.js'
import { captureWarnings } from '../support/warnings.js'

/** A hook that throws, synchronously or by rejecting, never affects the call nor the process. */

const unhandled: unknown[] = []
const warnings: Error[] = []
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason)
}
// The hooks fail on purpose: their warnings are captured (and asserted below), not printed.
let captured: ReturnType<typeof captureWarnings>
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
  captured = captureWarnings((warning) => {
    if (warning.name === 'MooringHookWarning') warnings.push(warning)
  })
})
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
  captured.restore()
})
beforeEach(() => {
  unhandled.length = 0
  warnings.length = 0
})

const HOOKS = ['onRequest', 'onResponse', 'onRetry', 'onError'] as const

/** `/flaky` answers 503 once, then 200; `/reset` drops the connection; the rest answer 200. */
async function server() {
  let flaky = 0
  return upstream((req, res) => {
    if (req.url === '/flaky' && flaky++ === 0) {
      res.statusCode = 503
      res.end('busy')
    } else if (req.url === '/reset') req.socket.destroy()
    else res.end('ok')
  })
}

/** Makes a call that fires `hook` (a retry for onRetry, a failure for onError) and returns how it ended. */
async function callFiring(hook: (typeof HOOKS)[number], hooks: Hooks): Promise<unknown> {
  const up = await server()
  const c = client({ baseUrl: up.url, hooks, retry: { backoff: { base: 1, max: 1 } } })
  if (hook === 'onError') return c.get('/reset', { retry: false }).catch((err: unknown) => err)
  const res = await c.get(hook === 'onRetry' ? '/flaky' : '/')
  return res.text()
}

describe('hooks that reject', () => {
  for (const hook of HOOKS) {
    it(`an async ${hook} hook that rejects: the call ends as it would, a warning, no unhandled rejection`, async () => {
      let fired = 0
      const outcome = await callFiring(hook, {
        [hook]: async () => {
          fired++
          throw new Error(`${hook} failed on purpose`)
        },
      })
      if (hook === 'onError') {
        expect(outcome).toBeInstanceOf(ConnectionError)
      } else expect(outcome).toBe('ok')
      expect(fired).toBeGreaterThanOrEqual(1)
      // An unhandled rejection is reported after the microtasks of the tick that rejected.
      await sleep(20)
      expect(unhandled).toEqual([])
      await waitFor(() => warnings.length >= fired, `${fired} hook warnings, have ${warnings.length}`)
      expect(warnings[0].message).toBe(`a Mooring ${hook} hook threw: ${hook} failed on purpose`)
    })
  }

  it('a thenable whose then() throws, and a synchronous throw, are warnings too', async () => {
    const outcome = await callFiring('onResponse', {
      onRequest: () =>
        ({
          // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is what this test is about
          then() {
            throw new Error('then exploded')
          },
        }) as unknown as PromiseLike<void>,
      onResponse: () => {
        throw new Error('sync throw')
      },
    })
    expect(outcome).toBe('ok')
    await waitFor(() => warnings.length >= 2, `2 hook warnings, have ${warnings.length}`)
    await sleep(20)
    expect(unhandled).toEqual([])
    expect(warnings.map((w) => w.message).sort()).toEqual([
      'a Mooring onRequest hook threw: then exploded',
      'a Mooring onResponse hook threw: sync throw',
    ])
  })
})
