import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createClient, type MooringClient } from '@mooring/core'
import type { Dispatcher } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sleep } from './support/async.js'
import { captureWarnings } from './support/warnings.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

// Captured, not printed: these warnings are what the tests provoke and assert.
let captured: ReturnType<typeof captureWarnings>
const warnings: Error[] = []
beforeAll(() => {
  captured = captureWarnings((warning) => {
    if (warning.name.includes('Unclosed')) warnings.push(warning)
  })
})
afterAll(() => {
  captured.restore()
})

/** Collects garbage until `done()` holds: at most 20 rounds, a few seconds in all. */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 20; i++) {
    // A WeakRef deref()ed by `done()` keeps its target alive until the current job ends.
    await new Promise((resolve) => setImmediate(resolve))
    gc()
    // FinalizationRegistry callbacks run in a later task, and the warning is emitted on the next tick.
    await sleep(25 + i * 10)
    if (done()) return
  }
}

// Each client is made in its own named function, so no closure of the test holds it and its
// warning names the function that created it.
function createLeakedClient(dispatchers: Dispatcher[]): void {
  const client = createClient({ baseUrl: 'http://127.0.0.1:1' })
  dispatchers.push(client.dispatcher)
}

async function createClosedClient(): Promise<WeakRef<MooringClient>> {
  const client = createClient({ baseUrl: 'http://127.0.0.1:1' })
  await client.close()
  return new WeakRef(client)
}

function createLeakedIsolatedScope(parent: MooringClient, dispatchers: Dispatcher[]): void {
  const scope = parent.scope({ pool: 'isolated' })
  dispatchers.push(scope.dispatcher)
}

function openIsolatedScopeHere(parent: MooringClient): MooringClient {
  return parent.scope({ pool: 'isolated' })
}

/** The pool opens here, at the first use: the warning must still name where the scope was made. */
function firstUseElsewhere(scope: MooringClient, dispatchers: Dispatcher[]): void {
  dispatchers.push(scope.dispatcher)
}

function createForgottenSharedScope(parent: MooringClient): WeakRef<MooringClient> {
  return new WeakRef(parent.scope({ headers: { 'x-forgotten': '1' } }))
}

describe('the unclosed-client warning', () => {
  it('fires for a client collected without close(), and says where it was created', async () => {
    const dispatchers: Dispatcher[] = []
    try {
      const closed = await createClosedClient()
      createLeakedClient(dispatchers)
      await collectUntil(
        () => closed.deref() === undefined && warnings.some((w) => w.message.includes('createLeakedClient')),
      )

      const leaked = warnings.filter((w) => w.message.includes('createLeakedClient'))
      expect(leaked).toHaveLength(1)
      const [warning] = leaked
      expect(warning.name).toBe('MooringUnclosedClientWarning')
      expect((warning as Error & { code?: string }).code).toBe('MOORING_UNCLOSED')
      expect(warning.message).toContain('A Mooring client was garbage-collected without close()')
      expect(warning.message).toContain('unclosed.test.ts')
      // Collected too, the closed client warned nothing.
      expect(closed.deref()).toBeUndefined()
      expect(warnings.some((w) => w.message.includes('createClosedClient'))).toBe(false)
    } finally {
      for (const d of dispatchers) await d.destroy()
    }
  })

  it('fires for a forgotten isolated scope, not for a forgotten shared one', async () => {
    const dispatchers: Dispatcher[] = []
    const parent = createClient({ baseUrl: 'http://127.0.0.1:1' })
    try {
      const shared = createForgottenSharedScope(parent)
      createLeakedIsolatedScope(parent, dispatchers)
      await collectUntil(
        () =>
          shared.deref() === undefined &&
          warnings.some((w) => w.message.includes('createLeakedIsolatedScope')),
      )

      const leaked = warnings.filter((w) => w.message.includes('createLeakedIsolatedScope'))
      expect(leaked).toHaveLength(1)
      expect(leaked[0].message).toContain('scope with an isolated pool')
      expect(shared.deref()).toBeUndefined()
      expect(warnings.some((w) => w.message.includes('createForgottenSharedScope'))).toBe(false)
    } finally {
      await parent.close()
      for (const d of dispatchers) await d.destroy()
    }
  })

  it('names where the isolated scope was made, not where its pool was first used', async () => {
    const dispatchers: Dispatcher[] = []
    const parent = createClient({ baseUrl: 'http://127.0.0.1:1' })
    try {
      firstUseElsewhere(openIsolatedScopeHere(parent), dispatchers)
      await collectUntil(() => warnings.some((w) => w.message.includes('openIsolatedScopeHere')))
      const leaked = warnings.filter((w) => w.message.includes('openIsolatedScopeHere'))
      expect(leaked).toHaveLength(1)
      const created = leaked[0].message.slice(leaked[0].message.indexOf('Created'))
      // The first frame shown is the user's call of scope(), not Mooring's internals.
      expect(created.split('\n')[1]).toContain('openIsolatedScopeHere')
      expect(created).not.toContain('firstUseElsewhere')
    } finally {
      await parent.close()
      for (const d of dispatchers) await d.destroy()
    }
  })
})
