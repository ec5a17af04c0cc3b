import net from 'node:net'
import { Readable } from 'node:stream'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { stream } from 'hono/streaming'
import { type Dispatcher, Response as UndiciResponse, fetch as undiciFetch } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest'
import {
  type BodyInput,
  AbortError,
  ConfigError,
  ConnectionError,
  createClient,
  type MooringClient,
  TimeoutError,
} from '../src/index.js'
import { appTransport, InProcessTransport, MockTransport, mockTransport } from '../src/testing.js'
import { deferred, sleep, waitFor } from './support/async.js'
import { startUpstream } from './support/upstream.js'

const BASE = 'http://in-process.test'

/** Every socket connect in this process goes through here: a transport that opens one shows up. */
let connects: MockInstance
beforeAll(() => {
  connects = vi.spyOn(net.Socket.prototype, 'connect')
})
afterAll(() => {
  connects.mockRestore()
})

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name.startsWith('TCP')).length
}

const clients: MooringClient[] = []
function clientOf(transport: Dispatcher): MooringClient {
  const client = createClient({ baseUrl: BASE, transport })
  clients.push(client)
  return client
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

describe('the socket check', () => {
  it('sees a real connection, so its silence elsewhere means something', async () => {
    const upstream = await startUpstream()
    const before = connects.mock.calls.length
    const client = createClient({ baseUrl: upstream.url })
    try {
      await (await client.get('/')).dump()
      expect(connects.mock.calls.length).toBe(before + 1)
      expect(tcpHandles()).toBeGreaterThan(0)
    } finally {
      await client.close()
      await upstream.close()
    }
    // Closed handles leave the list a moment later; the in-process tests start from none.
    await waitFor(() => tcpHandles() === 0, 'the TCP handles to close')
  })
})

describe('mockTransport', () => {
  it('tests code that uses a client, with no server', async () => {
    // The code under test: it takes a client and knows nothing about transports.
    async function findUser(http: MooringClient, id: number): Promise<{ name: string } | null> {
      const res = await http.get(`/users/${id}`, { headers: { accept: 'application/json' } })
      if (res.status === 404) {
        await res.dump()
        return null
      }
      return res.json()
    }

    const transport = mockTransport((request) =>
      request.url.endsWith('/users/1') ? { json: { name: 'Ada' } } : { status: 404 },
    )
    const http = clientOf(transport)

    expect(await findUser(http, 1)).toEqual({ name: 'Ada' })
    expect(await findUser(http, 2)).toBeNull()
    expect(transport.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      `GET ${BASE}/users/1`,
      `GET ${BASE}/users/2`,
    ])
    expect(transport.lastCall?.headers.accept).toBe('application/json')
  })

  it('records method, full URL, headers and body text of every call, in order', async () => {
    const transport = mockTransport(() => ({ status: 204 }))
    const http = createClient({ baseUrl: `${BASE}/v1`, transport, headers: { authorization: 'Bearer t0k' } })
    clients.push(http)

    await http.get('/search', { query: { q: 'the wire', page: 2 }, headers: { 'x-trace': 'abc' } })
    await http.post('/items', { json: { name: 'rope', length: 12 } })
    await http.put('/items/7', { body: 'plain text' })
    await http.delete('/items/7')

    const [search, create, update, remove] = transport.calls
    expect(transport.calls).toHaveLength(4)
    expect(search).toMatchObject({
      method: 'GET',
      url: `${BASE}/v1/search?q=the+wire&page=2`,
      body: '',
    })
    expect(search.headers).toMatchObject({ authorization: 'Bearer t0k', 'x-trace': 'abc' })
    expect(create.method).toBe('POST')
    expect(JSON.parse(create.body)).toEqual({ name: 'rope', length: 12 })
    expect(create.headers['content-type']).toBe('application/json')
    expect(create.headers['content-length']).toBe(String(create.body.length))
    expect(update).toMatchObject({ method: 'PUT', body: 'plain text' })
    expect(update.headers['content-type']).toBe('text/plain;charset=UTF-8')
    expect(remove).toMatchObject({ method: 'DELETE', url: `${BASE}/v1/items/7` })

    transport.clearCalls()
    expect(transport.calls).toHaveLength(0)
  })

  it('hands the handler a web Request with method, URL, headers and body', async () => {
    let seen: { method: string; url: string; header: string | null; body: unknown } | undefined
    const transport = mockTransport(async (request) => {
      seen = {
        method: request.method,
        url: request.url,
        header: request.headers.get('x-id'),
        body: await request.json(),
      }
      return { status: 201 }
    })
    const res = await clientOf(transport).patch('/things/1', {
      json: { done: true },
      headers: { 'x-id': '42' },
    })
    expect(res.status).toBe(201)
    expect(seen).toEqual({ method: 'PATCH', url: `${BASE}/things/1`, header: '42', body: { done: true } })
  })

  it('answers from parts: status, statusText, headers, body or json', async () => {
    const transport = mockTransport((request) => {
      const path = new URL(request.url).pathname
      if (path === '/json') return { status: 201, json: { ok: true }, headers: { 'x-one': '1' } }
      if (path === '/text') return { body: 'hello', headers: { 'content-type': 'text/plain' } }
      if (path === '/bytes') return { body: new Uint8Array([1, 2, 3]) }
      return { status: 418, statusText: 'Teapot' }
    })
    const http = clientOf(transport)

    const json = await http.get('/json')
    expect(json.status).toBe(201)
    expect(json.headers['content-type']).toBe('application/json')
    expect(json.headers['x-one']).toBe('1')
    expect(await json.json()).toEqual({ ok: true })

    const text = await http.get('/text')
    expect(text.status).toBe(200)
    expect(text.headers['content-type']).toBe('text/plain')
    expect(await text.text()).toBe('hello')

    expect([...(await (await http.get('/bytes')).bytes())]).toEqual([1, 2, 3])

    const teapot = await http.get('/other')
    expect(teapot.status).toBe(418)
    expect(teapot.statusText).toBe('Teapot')
    expect(await teapot.text()).toBe('')
  })

  it('passes a web Response through, repeated set-cookie headers as an array', async () => {
    const transport = mockTransport(() => {
      const headers = new Headers({ 'content-type': 'text/plain', 'X-Mixed-Case': 'v' })
      headers.append('set-cookie', 'a=1; Path=/')
      headers.append('set-cookie', 'b=2; Path=/')
      return new Response('made', { status: 202, statusText: 'Accepted', headers })
    })
    const res = await clientOf(transport).get('/')
    expect(res.status).toBe(202)
    expect(res.statusText).toBe('Accepted')
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/'])
    expect(res.headers['x-mixed-case']).toBe('v')
    expect(await res.text()).toBe('made')

    // A Response of the undici package (not Node's own class) is taken as well.
    const fromUndici = mockTransport(() => new UndiciResponse('undici', { status: 203 }))
    const other = await clientOf(fromUndici).get('/')
    expect(other.status).toBe(203)
    expect(await other.text()).toBe('undici')
  })

  it('fails the call like a connection error when the handler throws, keeping its code', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    const transport = mockTransport((request) => {
      if (request.url.endsWith('/reset')) throw reset
      throw new Error('boom')
    })
    const http = clientOf(transport)

    // A POST, so that no retry policy sends it again.
    const err = await http.post('/reset', { body: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionError)
    expect(err).toMatchObject({ causeCode: 'ECONNRESET', delivery: 'maybe', cause: reset })

    const other = await http.post('/other').catch((e: unknown) => e)
    expect(other).toBeInstanceOf(ConnectionError)
    expect((other as ConnectionError).causeCode).toBe('UNKNOWN')
    expect(((other as ConnectionError).cause as Error).message).toBe('boom')
    // A failing call is on record too.
    expect(transport.calls.map((c) => c.url)).toEqual([`${BASE}/reset`, `${BASE}/other`])
  })

  it('fails the call with a clear cause when the handler answers something that is no response', async () => {
    const replies: unknown[] = [42, { status: 200, stauts: 201 }, { body: 'x', json: {} }, { status: 99 }]
    const transport = mockTransport(() => replies.shift() as Response)
    const http = clientOf(transport)
    const causes: string[] = []
    for (let i = 0; i < 4; i++) {
      const err = (await http.get('/').catch((e: unknown) => e)) as ConnectionError
      expect(err).toBeInstanceOf(ConnectionError)
      causes.push(`${err.causeCode}: ${(err.cause as Error).message}`)
    }
    expect(causes[0]).toMatch(/^ERR_INVALID_MOCK_REPLY: .*expected a Response .* got number/)
    expect(causes[1]).toMatch(/^ERR_INVALID_MOCK_REPLY: .*unknown response part `stauts`/)
    expect(causes[2]).toMatch(/^ERR_INVALID_MOCK_REPLY: .*either `body` or `json`/)
    expect(causes[3]).toMatch(/status/)
  })

  it('refuses a wrong handler or option at creation with a ConfigError naming it', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => mockTransport('nope' as never), 'handler'],
      [() => mockTransport(() => ({}), { historyLimit: -1 }), 'options.historyLimit'],
      [() => mockTransport(() => ({}), { historyLimit: 1.5 }), 'options.historyLimit'],
      [() => mockTransport(() => ({}), { histroy: 3 } as never), 'options.histroy'],
    ]
    for (const [create, option] of cases) {
      let caught: unknown
      try {
        create()
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(ConfigError)
      expect((caught as ConfigError).option).toBe(option)
    }
  })

  it('keeps only the newest calls past historyLimit', async () => {
    const transport = mockTransport(() => ({}), { historyLimit: 2 })
    const http = clientOf(transport)
    for (const n of [1, 2, 3]) await (await http.get(`/${n}`)).dump()
    expect(transport.calls.map((c) => c.url)).toEqual([`${BASE}/2`, `${BASE}/3`])

    const none = mockTransport(() => ({}), { historyLimit: 0 })
    await (await clientOf(none).get('/')).dump()
    expect(none.calls).toHaveLength(0)
  })

  it('reads every kind of request body in full before calling the handler', async () => {
    const transport = mockTransport(async (request) => {
      const type = request.headers.get('content-type') ?? ''
      if (type.startsWith('multipart/form-data')) {
        const form = await request.formData()
        return { json: { name: form.get('name'), file: await (form.get('file') as Blob).text() } }
      }
      return { body: await request.text() }
    })
    const http = clientOf(transport)
    const text = async (body: BodyInput) => (await http.post('/', { body })).text()

    expect(await text('str')).toBe('str')
    expect(await text(new TextEncoder().encode('bytes'))).toBe('bytes')
    expect(await text(new URLSearchParams({ a: '1', b: 'two' }))).toBe('a=1&b=two')
    expect(await text(Readable.from([Buffer.from('node '), Buffer.from('stream')]))).toBe('node stream')
    async function* generate() {
      yield 'async '
      yield new TextEncoder().encode('iterable')
    }
    expect(await text(generate())).toBe('async iterable')
    expect(await text(new Blob(['blob']))).toBe('blob')

    const form = new FormData()
    form.set('name', 'Ada')
    form.set('file', new Blob(['file contents']), 'notes.txt')
    const res = await http.post('/', { body: form })
    expect(await res.json()).toEqual({ name: 'Ada', file: 'file contents' })
    expect(transport.lastCall?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/)

    // Node's global FormData straight to the dispatcher (the client hands it undici's own class).
    const direct = await transport.request({ origin: BASE, path: '/', method: 'POST', body: form as never })
    expect(await direct.body.json()).toEqual({ name: 'Ada', file: 'file contents' })
  })

  it('is not closed by the client it was given to, unless closeTransport', async () => {
    const transport = mockTransport(() => ({ body: 'ok' }))
    const first = createClient({ baseUrl: BASE, transport })
    expect(await (await first.get('/')).text()).toBe('ok')
    await first.close()
    expect(transport.closed).toBe(false)

    const second = createClient({ baseUrl: BASE, transport, closeTransport: true })
    expect(await (await second.get('/')).text()).toBe('ok')
    await second.close()
    expect(transport.closed).toBe(true)

    const third = clientOf(transport)
    const err = await third.get('/').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionError)
    expect(err).toMatchObject({ causeCode: 'UND_ERR_CLOSED', delivery: 'not-sent' })
  })

  it('enforces the headers timeout on a slow handler, and tells the handler', async () => {
    let appSignal: AbortSignal | undefined
    const transport = mockTransport(async (request) => {
      appSignal = request.signal
      // Bounded: answers after 2 s unless the call gives up first.
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 2_000)
        request.signal.addEventListener('abort', () => clearTimeout(timer))
      })
      return { body: 'late' }
    })
    const http = createClient({ baseUrl: BASE, transport, timeout: { headers: 50 }, retry: false })
    clients.push(http)
    const err = await http.get('/slow').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err).toMatchObject({ phase: 'headers', delivery: 'maybe' })
    expect(appSignal?.aborted).toBe(true)
  })

  it('enforces the body timeout between chunks', async () => {
    const transport = mockTransport(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('first'))
              // and then nothing: the stream stalls
            },
          }),
        ),
    )
    const http = createClient({ baseUrl: BASE, transport, timeout: { body: 50 }, retry: false })
    clients.push(http)
    const res = await http.get('/stalls')
    const err = await res.text().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).phase).toBe('body')
    expect(transport.inFlight).toBe(0)
  })

  it('streams a ReadableStream body chunk by chunk', async () => {
    const second = deferred()
    const transport = mockTransport(() => {
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode('first;'))
          await second.promise
          controller.enqueue(new TextEncoder().encode('second'))
          controller.close()
        },
      })
      return new Response(body)
    })
    const res = await clientOf(transport).get('/')
    const chunks: string[] = []
    for await (const chunk of res.body) {
      chunks.push(String(chunk))
      // The first chunk is here while the app still holds the second back.
      if (chunks.length === 1) second.resolve()
    }
    expect(chunks).toEqual(['first;', 'second'])
  })
})

/** A handler of undici's API that records what it is told, and can pause or abort on cue. */
function recordingHandler(
  on: {
    start?: (c: Dispatcher.DispatchController) => void
    data?: (c: Dispatcher.DispatchController) => void
  } = {},
) {
  const events: string[] = []
  let controller: Dispatcher.DispatchController | undefined
  const settled = deferred()
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c
      events.push('start')
    },
    onResponseStart(c, status) {
      events.push(`head ${status}`)
      on.start?.(c)
    },
    onResponseData(c, chunk) {
      events.push(`data ${chunk.toString()}`)
      on.data?.(c)
    },
    onResponseEnd() {
      events.push('end')
      settled.resolve()
    },
    onResponseError(_c, err) {
      events.push(`error ${err.message}`)
      settled.resolve()
    },
  }
  return { handler, events, settled: settled.promise, controller: () => controller! }
}

function chunked(parts: string[], onCancel?: (reason: unknown) => void): Response {
  const encoder = new TextEncoder()
  let i = 0
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i < parts.length) controller.enqueue(encoder.encode(parts[i++]))
        else controller.close()
      },
      cancel: onCancel,
    }),
  )
}

describe('the handler contract', () => {
  const request = { origin: BASE, path: '/', method: 'GET' } as const

  it('calls onRequestStart first, then the head, every chunk and the end, and nothing after', async () => {
    const transport = mockTransport(() => chunked(['a', 'b', 'c']))
    const { handler, events, settled } = recordingHandler()
    expect(transport.dispatch(request, handler)).toBe(true)
    // Nothing is called from inside dispatch().
    expect(events).toEqual([])
    await settled
    await sleep(20)
    expect(events).toEqual(['start', 'head 200', 'data a', 'data b', 'data c', 'end'])
    expect(transport.inFlight).toBe(0)
  })

  it('on abort(reason): onResponseError once with the reason, the app told, and nothing after', async () => {
    let cancelled: unknown
    let appSignal: AbortSignal | undefined
    const transport = mockTransport((req) => {
      appSignal = req.signal
      return chunked(['a', 'b', 'c'], (reason) => {
        cancelled = reason
      })
    })
    const reason = new Error('stop')
    const { handler, events, settled } = recordingHandler({ data: (c) => c.abort(reason) })
    transport.dispatch(request, handler)
    await settled
    await sleep(20)
    expect(events).toEqual(['start', 'head 200', 'data a', 'error stop'])
    expect(cancelled).toBe(reason)
    expect(appSignal?.aborted).toBe(true)
    expect(transport.inFlight).toBe(0)
  })

  it('an abort in onRequestStart stops the call before the app is called', async () => {
    const handlerCalls = vi.fn(() => ({}))
    const transport = mockTransport(handlerCalls)
    const events: string[] = []
    transport.dispatch(request, {
      onRequestStart(c) {
        events.push('start')
        c.abort(new Error('early'))
      },
      onResponseStart() {
        events.push('head')
      },
      onResponseError(_c, err) {
        events.push(`error ${err.message}`)
      },
    })
    await sleep(20)
    expect(events).toEqual(['start', 'error early'])
    expect(handlerCalls).not.toHaveBeenCalled()
  })

  it('delivers no chunk while paused, and the rest after resume()', async () => {
    const transport = mockTransport(() => chunked(['a', 'b', 'c']))
    const { handler, events, settled, controller } = recordingHandler({ start: (c) => c.pause() })
    transport.dispatch(request, handler)
    await waitFor(() => events.length === 2, 'the head')
    await sleep(30)
    expect(events).toEqual(['start', 'head 200'])
    expect(controller().paused).toBe(true)
    controller().resume()
    await settled
    expect(events).toEqual(['start', 'head 200', 'data a', 'data b', 'data c', 'end'])
  })

  it('holds back a chunk that arrives after pause() was called outside a callback', async () => {
    let push: ((text: string) => void) | undefined
    const transport = mockTransport(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              push = (text) => {
                if (text === '') controller.close()
                else controller.enqueue(new TextEncoder().encode(text))
              }
            },
          }),
        ),
    )
    const { handler, events, settled, controller } = recordingHandler()
    transport.dispatch(request, handler)
    await waitFor(() => events.length === 2 && push !== undefined, 'the head')
    // The transport is waiting on the app's stream when the handler pauses.
    controller().pause()
    push!('late')
    await sleep(30)
    expect(events).toEqual(['start', 'head 200'])
    controller().resume()
    await waitFor(() => events.length === 3, 'the chunk')
    push!('')
    await settled
    expect(events).toEqual(['start', 'head 200', 'data late', 'end'])
  })

  it('serves undici legacy-API handlers too (transport.request, undici fetch)', async () => {
    const transport = mockTransport(() => ({ status: 200, json: { via: 'request' } }))
    const res = await transport.request({ origin: BASE, path: '/legacy', method: 'GET' })
    expect(res.statusCode).toBe(200)
    expect(await res.body.json()).toEqual({ via: 'request' })

    const fetched = await undiciFetch(`${BASE}/legacy`, { dispatcher: transport })
    expect(fetched.status).toBe(200)
    expect(await fetched.json()).toEqual({ via: 'request' })
  })

  it('close() waits for calls in flight; destroy() fails them; both refuse new ones', async () => {
    const release = deferred()
    const transport = mockTransport(async () => {
      await release.promise
      return { body: 'late' }
    })
    const first = recordingHandler()
    transport.dispatch(request, first.handler)
    await waitFor(() => transport.inFlight === 1, 'the call in flight')
    let closed = false
    const closing = transport.close().then(() => {
      closed = true
    })
    expect(() => transport.dispatch(request, recordingHandler().handler)).toThrow(/closed/i)
    await sleep(20)
    expect(closed).toBe(false)
    release.resolve()
    await closing
    expect(first.events).toEqual(['start', 'head 200', 'data late', 'end'])

    const hanging = mockTransport(() => new Promise<Response>(() => {}))
    const second = recordingHandler()
    hanging.dispatch(request, second.handler)
    await waitFor(() => second.events.length === 1, 'the call to start')
    await hanging.destroy()
    expect(second.events).toEqual(['start', 'error The client is destroyed'])
    expect(hanging.inFlight).toBe(0)
    expect(() => hanging.dispatch(request, recordingHandler().handler)).toThrow(/destroyed/i)
  })
})

describe('appTransport', () => {
  interface Echo {
    method: string
    path: string
    query: Record<string, string>
    header: string | null
    body: unknown
  }

  function expressApp(seen: { slowStarted: () => void; slowClosed: (ended: boolean) => void }) {
    const app = express()
    app.use(express.json())
    app.get('/items/:id', (req, res) => {
      res.set('x-item', req.params.id).json({
        method: req.method,
        path: req.path,
        query: req.query as Record<string, string>,
        header: req.get('x-request-id') ?? null,
        body: null,
      } satisfies Echo)
    })
    app.post('/items', (req, res) => {
      res
        .status(201)
        .location('/items/9')
        .cookie('a', '1')
        .cookie('b', '2')
        .json({
          method: req.method,
          path: req.path,
          query: req.query as Record<string, string>,
          header: req.get('content-type') ?? null,
          body: req.body,
        } satisfies Echo)
    })
    app.get('/missing', (_req, res) => {
      res.status(404).send('no such thing')
    })
    app.get('/slow', (req, res) => {
      req.on('close', () => seen.slowClosed(res.writableEnded))
      seen.slowStarted()
      const timer = setTimeout(() => res.send('too late'), 5_000)
      res.on('close', () => clearTimeout(timer))
    })
    app.get('/stream', async (_req, res) => {
      res.type('text/plain')
      for (const part of ['one;', 'two;', 'three']) {
        res.write(part)
        await sleep(5)
      }
      res.end()
    })
    return app
  }

  async function fastifyApp(seen: { slowStarted: () => void; slowClosed: (ended: boolean) => void }) {
    const app = Fastify()
    let readyRan = false
    app.addHook('onReady', async () => {
      readyRan = true
    })
    app.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
      '/items/:id',
      async (req, reply) => {
        reply.header('x-item', req.params.id)
        return {
          method: req.method,
          path: req.url.split('?')[0],
          query: req.query,
          header: (req.headers['x-request-id'] as string | undefined) ?? null,
          body: null,
        } satisfies Echo
      },
    )
    app.post('/items', async (req, reply) => {
      reply.code(201).header('location', '/items/9').header('set-cookie', ['a=1', 'b=2'])
      return {
        method: req.method,
        path: req.url,
        query: {},
        header: req.headers['content-type'] ?? null,
        body: req.body,
      } satisfies Echo
    })
    app.get('/missing', async (_req, reply) => reply.code(404).send('no such thing'))
    app.get('/slow', (req, reply) => {
      req.raw.on('close', () => seen.slowClosed(reply.raw.writableEnded))
      seen.slowStarted()
      const timer = setTimeout(() => reply.send('too late'), 5_000)
      reply.raw.on('close', () => clearTimeout(timer))
    })
    app.get('/stream', (_req, reply) => {
      reply.type('text/plain').send(Readable.from(['one;', 'two;', 'three']))
    })
    return { app, readyRan: () => readyRan }
  }

  function honoApp(seen: { slowStarted: () => void; slowClosed: (ended: boolean) => void }) {
    const app = new Hono()
    app.get('/items/:id', (c) => {
      c.header('x-item', c.req.param('id'))
      return c.json({
        method: c.req.method,
        path: c.req.path,
        query: c.req.query(),
        header: c.req.header('x-request-id') ?? null,
        body: null,
      } satisfies Echo)
    })
    app.post('/items', async (c) => {
      c.header('location', '/items/9')
      c.header('set-cookie', 'a=1', { append: true })
      c.header('set-cookie', 'b=2', { append: true })
      return c.json(
        {
          method: c.req.method,
          path: c.req.path,
          query: c.req.query(),
          header: c.req.header('content-type') ?? null,
          body: await c.req.json(),
        } satisfies Echo,
        201,
      )
    })
    app.get('/missing', (c) => c.text('no such thing', 404))
    app.get('/slow', async (c) => {
      const signal = c.req.raw.signal
      seen.slowStarted()
      // Answers after 5 s unless the client goes first; either way it reports whether it answered.
      const answered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(true), 5_000)
        signal.addEventListener('abort', () => {
          clearTimeout(timer)
          resolve(false)
        })
      })
      seen.slowClosed(answered)
      return c.text('too late')
    })
    app.get('/stream', (c) =>
      stream(c, async (s) => {
        for (const part of ['one;', 'two;', 'three']) {
          await s.write(part)
          await s.sleep(5)
        }
      }),
    )
    return app
  }

  type Make = (seen: {
    slowStarted: () => void
    slowClosed: (ended: boolean) => void
  }) => Promise<{ transport: InProcessTransport; cleanup?: () => Promise<void> }>

  const apps: Array<[string, Make]> = [
    ['Express 5', async (seen) => ({ transport: appTransport(expressApp(seen)) })],
    [
      'Fastify 5',
      async (seen) => {
        const { app } = await fastifyApp(seen)
        return { transport: appTransport(app), cleanup: () => app.close() }
      },
    ],
    ['Hono (the app)', async (seen) => ({ transport: appTransport(honoApp(seen)) })],
    ['Hono (app.fetch)', async (seen) => ({ transport: appTransport(honoApp(seen).fetch) })],
  ]

  describe.each(apps)('%s', (_name, make) => {
    let transport: InProcessTransport
    let http: MooringClient
    let cleanup: (() => Promise<void>) | undefined
    const slow = { started: deferred(), closed: deferred<boolean>() }
    let connectsBefore = 0
    let tcpBefore = 0

    beforeAll(async () => {
      connectsBefore = connects.mock.calls.length
      tcpBefore = tcpHandles()
      const made = await make({
        slowStarted: () => slow.started.resolve(),
        slowClosed: (ended) => slow.closed.resolve(ended),
      })
      transport = made.transport
      cleanup = made.cleanup
      http = createClient({ baseUrl: BASE, transport, headers: { 'x-request-id': 'req-1' } })
    })
    afterAll(async () => {
      await http.close()
      await transport.close()
      await cleanup?.()
    })

    it('GETs with a query and headers', async () => {
      const res = await http.get('/items/7', { query: { q: 'rope', n: 3 } })
      expect(res.status).toBe(200)
      expect(res.headers['x-item']).toBe('7')
      expect(res.headers['content-type']).toMatch(/^application\/json/)
      expect(await res.json()).toEqual({
        method: 'GET',
        path: '/items/7',
        query: { q: 'rope', n: '3' },
        header: 'req-1',
        body: null,
      })
    })

    it('POSTs JSON and gets status and headers back', async () => {
      const res = await http.post('/items', { json: { name: 'rope', tags: ['a', 'b'] } })
      expect(res.status).toBe(201)
      expect(res.headers.location).toBe('/items/9')
      expect([res.headers['set-cookie']].flat().map((c) => c.split(';')[0])).toEqual(['a=1', 'b=2'])
      expect(await res.json()).toMatchObject({
        method: 'POST',
        path: '/items',
        header: 'application/json',
        body: { name: 'rope', tags: ['a', 'b'] },
      })
    })

    it('passes an error status through', async () => {
      const res = await http.get('/missing')
      expect(res.status).toBe(404)
      expect(await res.text()).toBe('no such thing')
      const err = await http.get('/missing', { raiseForStatus: true }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'MOORING_HTTP_STATUS', status: 404 })
      await (err as { response: { dump(): Promise<void> } }).response.dump()
    })

    it('streams the body as the app writes it', async () => {
      const res = await http.get('/stream')
      expect(res.status).toBe(200)
      const chunks: string[] = []
      for await (const chunk of res.body) chunks.push(String(chunk))
      expect(chunks.join('')).toBe('one;two;three')
    })

    it('aborts a call while the app is slow, and the app sees the client go', async () => {
      const controller = new AbortController()
      const pending = http.get('/slow', { signal: controller.signal })
      await slow.started.promise
      controller.abort(new Error('user left'))
      const err = await pending.catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AbortError)
      expect((err as AbortError).cause).toMatchObject({ message: 'user left' })
      // The app's request is closed (Node apps) or its signal aborted (fetch apps), unanswered.
      expect(await slow.closed.promise).toBe(false)
      await waitFor(() => transport.inFlight === 0, 'the aborted call to leave the transport')
    })

    it('opened no socket', () => {
      expect(connects.mock.calls.length).toBe(connectsBefore)
      expect(tcpHandles()).toBe(tcpBefore)
      expect(tcpHandles()).toBe(0)
    })
  })

  it('runs Fastify after ready()', async () => {
    const { app, readyRan } = await fastifyApp({ slowStarted: () => {}, slowClosed: () => {} })
    try {
      expect(readyRan()).toBe(false)
      const res = await clientOf(appTransport(app)).get('/items/1')
      expect(res.status).toBe(200)
      expect(readyRan()).toBe(true)
      await res.dump()
    } finally {
      await app.close()
    }
  })

  it('forwards a Hono stream chunk by chunk, and cancels it on abort', async () => {
    const next = deferred()
    let written = 0
    let appAborted = false
    const app = new Hono()
    app.get('/ticks', (c) =>
      stream(c, async (s) => {
        s.onAbort(() => {
          appAborted = true
        })
        await s.write('tick 0;')
        written++
        await next.promise
        for (let i = 1; i < 100 && !s.aborted; i++) {
          await s.write(`tick ${i};`)
          written++
          await s.sleep(5)
        }
      }),
    )
    const controller = new AbortController()
    const res = await clientOf(appTransport(app)).get('/ticks', { signal: controller.signal })
    const body = res.body
    const first = await new Promise<string>((resolve) => body.once('data', (chunk) => resolve(String(chunk))))
    // The first chunk is here while the app is still waiting to write the second.
    expect(first).toBe('tick 0;')
    expect(written).toBe(1)
    body.pause()
    next.resolve()
    await waitFor(() => written >= 3, 'a few more ticks')
    const failed = new Promise<unknown>((resolve) => body.once('error', resolve))
    controller.abort()
    expect(await failed).toBeInstanceOf(AbortError)
    await waitFor(() => appAborted, "the app's stream to be cancelled")
    const stopped = written
    await sleep(30)
    expect(written).toBeLessThanOrEqual(stopped + 1)
  })

  it('takes a fetch handler and a Node listener given as plain functions', async () => {
    const fetchHandler = async (request: Request) =>
      Response.json({ kind: 'fetch', url: request.url, body: await request.text() })
    const listener = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => {
        body += chunk
      })
      req.on('end', () => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ kind: 'node', url: req.url, host: req.headers.host, body }))
      })
    }
    const viaFetch = await clientOf(appTransport(fetchHandler)).post('/f?x=1', { body: 'hi' })
    expect(await viaFetch.json()).toEqual({ kind: 'fetch', url: `${BASE}/f?x=1`, body: 'hi' })
    const viaNode = await clientOf(appTransport(listener)).post('/n?x=1', { body: 'hi' })
    expect(await viaNode.json()).toEqual({ kind: 'node', url: '/n?x=1', host: 'in-process.test', body: 'hi' })
    // `kind` settles a function whose arity misleads: a Workers-style (request, env, ctx) handler.
    const workerStyle = (request: Request, _env?: unknown, _ctx?: unknown) => new Response(request.method)
    const viaKind = await clientOf(appTransport(workerStyle, { kind: 'fetch' })).get('/')
    expect(await viaKind.text()).toBe('GET')
  })

  it('fails the call when a fetch app answers with no Response or a network error', async () => {
    const transport = appTransport(((request: Request) =>
      request.url.endsWith('/none') ? 'not a response' : Response.error()) as never)
    const http = clientOf(transport)
    expect(await http.get('/none').catch((e: unknown) => e)).toMatchObject({
      causeCode: 'ERR_INVALID_APP_RESPONSE',
    })
    expect(await http.get('/error').catch((e: unknown) => e)).toMatchObject({
      causeCode: 'ERR_APP_NETWORK_ERROR',
    })
  })

  it('refuses what is no app, or a wrong option, with a ConfigError', () => {
    for (const [create, option] of [
      [() => appTransport(42 as never), 'app'],
      [() => appTransport({} as never), 'app'],
      [() => appTransport(() => new Response(), { kind: 'deno' as never }), 'options.kind'],
      [() => appTransport(() => new Response(), { mode: 'x' } as never), 'options.mode'],
    ] as const) {
      expect(create).toThrow(ConfigError)
      try {
        create()
      } catch (err) {
        expect((err as ConfigError).option).toBe(option)
      }
    }
  })

  it('is an undici Dispatcher the client does not own', async () => {
    const transport = appTransport(new Hono().get('/', (c) => c.text('ok')))
    expect(transport).toBeInstanceOf(InProcessTransport)
    const client = createClient({ baseUrl: BASE, transport })
    expect(client.dispatcher).toBe(transport)
    expect(await (await client.get('/')).text()).toBe('ok')
    await client.close()
    expect(transport.closed).toBe(false)
    await transport.close()
    expect(transport.closed).toBe(true)
    expect(new MockTransport(() => ({}))).toBeInstanceOf(InProcessTransport)
  })
})
