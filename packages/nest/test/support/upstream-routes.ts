import type { IncomingMessage, ServerResponse } from 'node:http'

export interface UpstreamLog {
  /** Requests to /slow whose connection closed before the response was sent, with when that happened. */
  abandoned: Array<{ url: string; at: number }>
}

/**
 * The upstream every Nest test talks to: `/slow` answers after `slowMs` (or never, if the caller
 * leaves first, which is logged), anything else echoes the request as JSON.
 */
export function upstreamRoutes(log: UpstreamLog, slowMs = 5_000) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url?.startsWith('/slow')) {
      const timer = setTimeout(() => res.end('{"late":true}'), slowMs)
      res.once('close', () => {
        clearTimeout(timer)
        if (!res.writableFinished) log.abandoned.push({ url: req.url ?? '', at: Date.now() })
      })
      return
    }
    req.resume()
    req.once('end', () => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ url: req.url, headers: req.headers }))
    })
  }
}
