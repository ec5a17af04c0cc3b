import { once } from 'node:events'
import { request as httpRequest, type Server } from 'node:http'
import type { AddressInfo, Server as NetServer } from 'node:net'

/**
 * Waits until `server` (told to listen on 127.0.0.1, port 0) is listening, and returns its base URL:
 * `http://127.0.0.1:PORT`, or https with `scheme`.
 */
export async function urlOf(server: NetServer, scheme: 'http' | 'https' = 'http'): Promise<string> {
  if (!server.listening) await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return `${scheme}://127.0.0.1:${port}`
}

/** An app's node:http server, listening, as a test serves it. */
export interface Served {
  server: Server
  /** http://127.0.0.1:PORT */
  url: string
  /**
   * Stops taking requests and resolves on the server's 'close', once the requests in flight are done;
   * again, the same promise. Node closes only the connections idle at the moment of `close()`; one
   * still serving a request would then idle for its keep-alive time, so idle connections are closed
   * again until the server is gone.
   */
  close(): Promise<void>
}

/** Wraps an app's server that was told to listen on 127.0.0.1, port 0, once it listens. */
export async function served(server: Server): Promise<Served> {
  const url = await urlOf(server)
  let closing: Promise<void> | undefined
  return {
    server,
    url,
    close() {
      closing ??= server.listening
        ? new Promise<void>((resolve) => {
            const sweep = setInterval(() => server.closeIdleConnections(), 10)
            server.close(() => {
              clearInterval(sweep)
              resolve()
            })
          })
        : Promise.resolve()
      return closing
    },
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

/** `send`, with the answer's body parsed as JSON: on a connection of its own. */
export async function getJson<T>(
  url: string,
  options?: Parameters<typeof send>[1],
): Promise<{ status: number; body: T }> {
  const { status, text } = await send(url, options)
  return { status, body: JSON.parse(text) as T }
}

/** `fetch`, with the answer's body parsed as JSON: over fetch's keep-alive pool. */
export async function fetchJson<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, init)
  return { status: res.status, body: (await res.json()) as T }
}
