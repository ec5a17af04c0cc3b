import type { IncomingMessage, ServerResponse } from 'node:http'
import * as zlib from 'node:zlib'
import { createClient, HttpStatusError, MooringError, ResponseTooLargeError } from '@mooring/core'
import { describe, expect, it } from 'vitest'
import { ACCEPT_ENCODING } from '../../src/features/decompress.js'
import { fixtures } from '../support/fixtures.js'

const BODY = JSON.stringify({ hello: 'world', items: Array.from({ length: 200 }, (_, i) => `item-${i}`) })

const encoders: Record<string, (b: Buffer) => Buffer> = {
  gzip: zlib.gzipSync,
  deflate: zlib.deflateSync,
  br: zlib.brotliCompressSync,
}
const zstd = (zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer }).zstdCompressSync
if (zstd !== undefined) encoders.zstd = zstd

/** An upstream that answers with BODY in the encoding named by the path (`/gzip`), as it says. */
function compressing(status = 200) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const encoding = (req.url ?? '/').slice(1)
    const encoded = encoders[encoding]!(Buffer.from(BODY))
    res.writeHead(status, {
      'content-encoding': encoding,
      'content-type': 'application/json',
      'content-length': encoded.length,
    })
    res.end(encoded)
  }
}

describe('decompression by default', () => {
  it(`sends accept-encoding: ${ACCEPT_ENCODING}`, async () => {
    const { upstream, client } = fixtures()
    const up = await upstream()
    await (await client({ baseUrl: up.url }).get('/')).dump()
    expect(up.requests[0]?.headers['accept-encoding']).toBe(ACCEPT_ENCODING)
    expect(ACCEPT_ENCODING).toContain('gzip, deflate, br')
  })

  for (const encoding of Object.keys(encoders)) {
    it(`decodes a ${encoding} body from a real server`, async () => {
      const { upstream, client } = fixtures()
      const up = await upstream(compressing())
      const res = await client({ baseUrl: up.url }).get(`/${encoding}`)
      expect(res.headers['content-encoding']).toBeUndefined()
      expect(await res.text()).toBe(BODY)
    })
  }

  it('decodes error bodies too, so an HttpStatusError reads as text', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream(compressing(503))
    const err = await client({ baseUrl: up.url, raiseForStatus: true, retry: false })
      .get('/gzip')
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HttpStatusError)
    expect(await (err as HttpStatusError).response.text()).toBe(BODY)
  })

  it('decompress: false sends no accept-encoding and gives the bytes as they came', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream(compressing())
    const res = await client({ baseUrl: up.url, decompress: false }).get('/gzip')
    expect(up.requests[0]?.headers['accept-encoding']).toBeUndefined()
    expect(res.headers['content-encoding']).toBe('gzip')
    expect(zlib.gunzipSync(Buffer.from(await res.bytes())).toString()).toBe(BODY)
  })

  it('a body that says gzip but is not fails with a clear ResponseDecodeError', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' })
      res.end(BODY)
    })
    const res = await client({ baseUrl: up.url }).get('/lies')
    const err = await res.text().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MooringError)
    expect((err as MooringError).name).toBe('ResponseDecodeError')
    expect((err as MooringError).code).toBe('MOORING_RESPONSE_DECODE')
    expect((err as Error).message).toMatch(
      /does not decode as its content-encoding says \(incorrect header check\)/,
    )
  })

  it('a gzip bomb (1 MiB inflating to 1 GiB) ends in ResponseTooLargeError with memory bounded', async () => {
    // 64 gzip members of 16 MiB of zeros each: gunzip reads concatenated members as one body.
    const member = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 })
    const members = 64
    const { upstream, client } = fixtures()
    const up = await upstream(async (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': member.length * members })
      for (let i = 0; i < members && !res.destroyed; i++) {
        if (!res.write(member)) await new Promise((resolve) => res.once('drain', resolve))
      }
      res.end()
    })
    const before = process.memoryUsage().rss
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss)
    }, 5)
    try {
      const res = await client({ baseUrl: up.url, maxResponseSize: 8 * 1024 * 1024 }).get('/bomb')
      const err = await res.bytes().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ResponseTooLargeError)
      expect((err as ResponseTooLargeError).limit).toBe(8 * 1024 * 1024)
    } finally {
      clearInterval(sampler)
    }
    // 1 GiB was on offer; the decoder stopped after the limit (generous bound for GC timing).
    expect(peak - before).toBeLessThan(256 * 1024 * 1024)
    expect(member.length * members).toBeLessThan(2 * 1024 * 1024)
  })

  it('a HEAD answered with content-encoding resolves with an empty body, nothing to decode', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream(compressing())
    const res = await client({ baseUrl: up.url }).head('/gzip')
    expect(res.headers['content-encoding']).toBe('gzip')
    expect(await res.bytes()).toHaveLength(0)
  })

  it('streams a large gzip body decoded, with backpressure down through the decoder', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'abcdefgh')
    const chunks = 64
    const { upstream, client } = fixtures()
    const up = await upstream(async (_req, res) => {
      const gzip = zlib.createGzip()
      res.writeHead(200, { 'content-encoding': 'gzip' })
      gzip.pipe(res)
      for (let i = 0; i < chunks; i++) {
        if (!gzip.write(chunk)) await new Promise((resolve) => gzip.once('drain', resolve))
      }
      gzip.end()
    })
    const res = await client({ baseUrl: up.url }).get('/big')
    let size = 0
    let reads = 0
    for await (const piece of res.body) {
      size += (piece as Buffer).length
      // A slow reader: the decoder and the socket wait for it.
      if (++reads % 16 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    expect(size).toBe(chunk.length * chunks)
  })

  it('a cached gzip answer is decoded again on every hit', async () => {
    const { upstream, client } = fixtures()
    const up = await upstream((_req, res) => {
      res.writeHead(200, {
        'content-encoding': 'gzip',
        'cache-control': 'public, max-age=60',
        'content-type': 'application/json',
      })
      res.end(zlib.gzipSync(Buffer.from(BODY)))
    })
    const http = client({ baseUrl: up.url, cache: true })
    expect(await (await http.get('/cached')).text()).toBe(BODY)
    const hit = await http.get('/cached')
    expect(hit.headers.age).toBeDefined()
    expect(await hit.text()).toBe(BODY)
    expect(up.requests).toHaveLength(1)
  })

  describe('a gzip body cut short while it is being decoded', () => {
    /** Sends the gzip header and a first deflate block of BODY, then holds the rest back. */
    function halfSent() {
      return async (_req: IncomingMessage, res: ServerResponse) => {
        const gzip = zlib.createGzip()
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' })
        gzip.pipe(res)
        gzip.write(Buffer.from(BODY.slice(0, 100)))
        gzip.flush()
      }
    }

    it('a scope closed mid-body rejects the reader with AbortError and keeps no socket', async () => {
      const { upstream, client } = fixtures()
      const up = await upstream(halfSent())
      const http = client({ baseUrl: up.url })
      const scope = http.scope()
      const res = await scope.get('/half')
      const reading = res.text().catch((e: unknown) => e)
      await scope.destroy()
      const err = await reading
      expect((err as MooringError).name).toBe('AbortError')
      await http.close()
      expect(http.stats().origins[new URL(up.url).origin]?.open ?? 0).toBe(0)
    })

    it('the body timeout ends a stalled encoded body with a TimeoutError', async () => {
      const { upstream, client } = fixtures()
      const up = await upstream(halfSent())
      const res = await client({ baseUrl: up.url, timeout: { body: 150 } }).get('/half')
      const err = await res.json().catch((e: unknown) => e)
      expect((err as MooringError).name).toBe('TimeoutError')
      expect((err as Error).message).toMatch(/body/)
    })

    it('dump() of an encoded body settles', async () => {
      const { upstream, client } = fixtures()
      const up = await upstream(compressing())
      const http = client({ baseUrl: up.url })
      const res = await http.get('/gzip')
      await expect(res.dump()).resolves.toBeUndefined()
      // The connection went back to the pool: the next call reuses it.
      expect(await (await http.get('/gzip')).text()).toBe(BODY)
      expect(up.connections).toBe(1)
    })
  })

  it('decompress must be a boolean', () => {
    expect(() => createClient({ decompress: 'yes' as never })).toThrow(/decompress: expected a boolean/)
  })
})
