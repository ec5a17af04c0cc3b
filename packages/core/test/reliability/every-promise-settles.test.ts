import { constants as bufferConstants } from 'node:buffer'
import { once } from 'node:events'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import {
  AbortError,
  ConnectionError,
  createClient,
  type MooringClient,
  MooringError,
  type MooringResponse,
  ResponseTooLargeError,
  TimeoutError,
} from '@mooring/core'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deferred, sleep, waitFor, within } from '../support/async.js'
import { urlOf } from '../support/http.js'

/**
 * Every promise the library hands out settles, whatever the body, the server or the timing: every
 * reader, raced against the body's arrival, under every way a body can go wrong. Real sockets.
 */

const READERS = {
  json: (r: MooringResponse) => r.json(),
  text: (r: MooringResponse) => r.text(),
  bytes: (r: MooringResponse) => r.bytes().then((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
  arrayBuffer: (r: MooringResponse) => r.arrayBuffer().then((b) => Buffer.from(b)),
  stream: async (r: MooringResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of r.body) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  },
  dump: (r: MooringResponse) => r.dump(),
} as const
type Reader = keyof typeof READERS
const READER_NAMES = Object.keys(READERS) as Reader[]

/** What goes wrong. `none` and `badJson` deliver the whole body; the rest cut it off. */
const FAILURES = ['none', 'badJson', 'reset', 'bodyIdle', 'total', 'scopeClose', 'abort', 'tooLarge'] as const
type Failure = (typeof FAILURES)[number]

/** `before`: the body (or its failure) is in before the reader is called; `after`: not a byte until it is; `racing`: both at once. */
const ORDERS = ['before', 'after', 'racing'] as const
type Order = (typeof ORDERS)[number]

interface Case {
  order: Order
  failure: Failure
  /** Where a cutting failure strikes: before the head, or halfway through the body. */
  at: 'head' | 'body'
  large: boolean
  pieces: number
  /** Milliseconds between pieces; 0 is a setImmediate. */
  gap: number
}

interface Plan {
  kase: Case
  body: Buffer
  /** The server waits on this before the first body byte (order `after`). */
  go: Promise<void> | null
  /** Resolves once the server has done all it will: the body sent, or the failure struck. */
  served: () => void
}

const EAGER = 1024 * 1024
const plans = new Map<string, Plan>()
let server: Server
let url: string
const sockets = new Set<Socket>()
let client: MooringClient
let nextId = 0

function bodyOf(kase: Case): Buffer {
  const size = kase.large ? EAGER + 512 * 1024 : 200
  if (kase.failure === 'badJson') return Buffer.from(`<html>${'x'.repeat(size)}</html>`)
  return Buffer.from(JSON.stringify({ pad: 'x'.repeat(size) }))
}

const cuts = (f: Failure) => f !== 'none' && f !== 'badJson'

async function serve(plan: Plan, res: ServerResponse): Promise<void> {
  const { kase, body } = plan
  if (kase.at === 'head' && cuts(kase.failure)) {
    if (kase.failure === 'reset') res.socket?.destroy()
    else if (kase.failure === 'tooLarge') {
      res.writeHead(200, { 'content-length': body.length })
      res.end(body)
    }
    // The rest stall before the head until the client gives up.
    plan.served()
    return
  }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.flushHeaders()
  if (plan.go !== null) await plan.go
  const parts = cuts(kase.failure) ? Math.max(2, kase.pieces) : kase.pieces
  const step = Math.ceil(body.length / parts)
  for (let i = 0; i < parts; i++) {
    if (cuts(kase.failure) && kase.failure !== 'tooLarge' && i === Math.ceil(parts / 2)) {
      if (kase.failure === 'reset') res.socket?.destroy()
      // The others stall mid-body until the client gives up.
      plan.served()
      return
    }
    res.write(body.subarray(i * step, (i + 1) * step))
    if (kase.gap === 0) await new Promise(setImmediate)
    else await sleep(kase.gap)
  }
  res.end()
  plan.served()
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const plan = plans.get(req.url ?? '')
    if (plan === undefined) {
      res.statusCode = 404
      res.end()
      return
    }
    void serve(plan, res)
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.listen(0, '127.0.0.1')
  url = await urlOf(server)
  client = createClient({ baseUrl: url })
})

afterAll(async () => {
  await client.destroy()
  for (const socket of sockets) socket.destroy()
  server.close()
  await once(server, 'close')
})

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

/** Resolves with how `promise` settled; fails the run, naming `what`, if it does not settle in time. */
function settled(promise: Promise<unknown>, what: string, bound = 4_000): Promise<Outcome> {
  return within(
    promise.then(
      (value): Outcome => ({ ok: true, value }),
      (error): Outcome => ({ ok: false, error }),
    ),
    bound,
    what,
  )
}

/** The error a cutting failure must surface as. */
function expectFailure(kase: Case, error: unknown): void {
  expect(error).toBeInstanceOf(MooringError)
  switch (kase.failure) {
    case 'reset':
      expect(error).toBeInstanceOf(ConnectionError)
      break
    case 'bodyIdle':
      expect(error).toBeInstanceOf(TimeoutError)
      expect((error as TimeoutError).phase).toBe(kase.at === 'head' ? 'headers' : 'body')
      break
    case 'total':
      expect(error).toBeInstanceOf(TimeoutError)
      expect((error as TimeoutError).phase).toBe('total')
      break
    case 'scopeClose':
    case 'abort':
      expect(error).toBeInstanceOf(AbortError)
      break
    case 'tooLarge':
      expect(error).toBeInstanceOf(ResponseTooLargeError)
      break
  }
}

/** One call read by `reader` under `kase`: asserts that the request promise and the reader's settle, and how. */
async function runOne(kase: Case, reader: Reader): Promise<void> {
  const id = `/p/${nextId++}`
  const what = `${reader} with ${JSON.stringify(kase)}`
  const served = deferred()
  const go = kase.order === 'after' ? deferred() : null
  const body = bodyOf(kase)
  plans.set(id, { kase, body, go: go?.promise ?? null, served: served.resolve })
  const scope = client.scope()
  const controller = new AbortController()
  try {
    const request = scope.get(id, {
      retry: false,
      signal: controller.signal,
      timeout:
        kase.failure === 'bodyIdle'
          ? { headers: 300, body: 300 }
          : kase.failure === 'total'
            ? { total: 600 }
            : undefined,
      maxResponseSize: kase.failure === 'tooLarge' ? Math.floor(body.length / 2) : undefined,
    })
    // What the test does itself to make the call fail: close its scope or fire its signal.
    const strike = () => {
      if (kase.failure === 'scopeClose') void scope.close()
      else if (kase.failure === 'abort') controller.abort(new Error('caller gave up'))
    }

    if (kase.at === 'head' && cuts(kase.failure)) {
      await served.promise
      strike()
      const head = await settled(request, `the request promise of ${what}`)
      expect(head.ok, what).toBe(false)
      if (!head.ok) expectFailure(kase, head.error)
      return
    }

    const head = await settled(request, `the request promise of ${what}`)
    if (!head.ok) throw head.error
    const response = head.value as MooringResponse
    let outcome: Promise<Outcome>
    if (kase.order === 'before') {
      await served.promise
      strike()
      await sleep(20)
      outcome = settled(READERS[reader](response), what)
    } else {
      outcome = settled(READERS[reader](response), what)
      go?.resolve()
      await served.promise
      strike()
    }
    const result = await outcome

    if (reader === 'dump') {
      expect(result, what).toEqual({ ok: true, value: undefined })
    } else if (cuts(kase.failure)) {
      expect(result.ok, what).toBe(false)
      if (!result.ok) expectFailure(kase, result.error)
    } else if (kase.failure === 'badJson' && reader === 'json') {
      expect(result.ok, what).toBe(false)
      if (!result.ok) expect(result.error).toBeInstanceOf(SyntaxError)
    } else {
      expect(result.ok, what).toBe(true)
      if (!result.ok) return
      if (reader === 'json') expect(result.value).toEqual(JSON.parse(body.toString()))
      else if (reader === 'text') expect(result.value).toBe(body.toString())
      else expect(Buffer.compare(result.value as Buffer, body), what).toBe(0)
    }
  } finally {
    go?.resolve()
    await scope.close()
    plans.delete(id)
  }
}

const cases: fc.Arbitrary<Case> = fc.record({
  order: fc.constantFrom(...ORDERS),
  failure: fc.constantFrom(...FAILURES),
  at: fc.constantFrom('head' as const, 'body' as const),
  large: fc.boolean(),
  pieces: fc.integer({ min: 1, max: 4 }),
  gap: fc.constantFrom(0, 0, 3, 10),
})

/** Every order × every failure at least once, before the random runs. */
const everyPair: [Case][] = ORDERS.flatMap((order) =>
  FAILURES.map((failure, i): [Case] => [
    { order, failure, at: 'body', large: i % 2 === 0, pieces: 1 + (i % 3), gap: i % 2 === 0 ? 0 : 3 },
  ]),
)

describe('every promise settles', () => {
  it('every reader × every arrival order × every failure (fast-check, real sockets)', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (kase) => {
        await Promise.all(READER_NAMES.map((reader) => runOne(kase, reader)))
        // Nothing left in flight once every promise has settled.
        await waitFor(() => client.stats().inFlight === 0, `no call in flight after ${JSON.stringify(kase)}`)
      }),
      { numRuns: 50, timeout: 10_000, examples: everyPair },
    )
  }, 60_000)

  it('text() of a body past the longest string V8 makes, called before the body arrives, rejects', async () => {
    const length = bufferConstants.MAX_STRING_LENGTH + 1
    const id = `/p/${nextId++}`
    const served = deferred()
    const go = deferred()
    const body = Buffer.alloc(length, 97)
    plans.set(id, {
      kase: { order: 'after', failure: 'none', at: 'body', large: true, pieces: 1, gap: 0 },
      body,
      go: go.promise,
      served: served.resolve,
    })
    try {
      const response = await client.get(id, { maxResponseSize: Number.POSITIVE_INFINITY })
      const read = response.text()
      go.resolve()
      const result = await settled(read, 'text() of a body over the string limit', 25_000)
      expect(result.ok).toBe(false)
      if (!result.ok) expect((result.error as { code?: string }).code).toBe('ERR_STRING_TOO_LONG')
    } finally {
      plans.delete(id)
    }
  }, 40_000)
})
