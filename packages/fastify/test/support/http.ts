import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'

/** Listens on an ephemeral port of 127.0.0.1 and returns the app's base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return `http://127.0.0.1:${port}`
}

/** Runs `task(i)` for i in [0, count), at most `concurrency` at a time. */
export async function inBatches<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count)
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      results[i] = await task(i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return results
}

/** Polls `condition` every 10 ms until it holds, or fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export interface Sent {
  status: number
  text: string
}

/**
 * One request on a connection of its own (no keep-alive), so a closing app never waits on an idle
 * socket of the test's. `signal` aborts it: the connection is destroyed, as a leaving browser does.
 */
export function send(
  url: string,
  options: {
    method?: string
    headers?: Record<string, string>
    body?: string
    /** Send the head first and the body this many ms later, as a slow client does. */
    bodyDelay?: number
    signal?: AbortSignal
  } = {},
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: false,
      signal: options.signal,
    })
    req.on('error', reject)
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      )
    })
    if (options.bodyDelay === undefined) req.end(options.body)
    else {
      req.flushHeaders()
      setTimeout(() => req.end(options.body), options.bodyDelay)
    }
  })
}

export async function getJson<T>(
  url: string,
  options?: Parameters<typeof send>[1],
): Promise<{ status: number; body: T }> {
  const { status, text } = await send(url, options)
  return { status, body: JSON.parse(text) as T }
}
