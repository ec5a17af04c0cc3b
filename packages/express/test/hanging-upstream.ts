import { once } from 'node:events'
import { type Upstream, startUpstream } from '../../core/test/support/upstream.js'

export interface HangingUpstream extends Upstream {
  /** Requests to `/hang…`, which are never answered: each settles when its connection closes. */
  hung: Array<{ url: string; connectionClosed: Promise<void> }>
  /** Resolves when the `n`th (1-based) hanging request has arrived. */
  hungCount(n: number): Promise<void>
}

/**
 * An upstream that never answers `/hang…` (to hold a call in flight) and answers anything else with
 * its path and the headers it received.
 */
export async function startHangingUpstream(): Promise<HangingUpstream> {
  const hung: HangingUpstream['hung'] = []
  const upstream = await startUpstream((req, res) => {
    if (req.url?.startsWith('/hang')) {
      hung.push({ url: req.url, connectionClosed: once(req.socket, 'close').then(() => undefined) })
      return
    }
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ url: req.url, headers: req.headers }))
  })
  return Object.assign(upstream, {
    hung,
    async hungCount(n: number) {
      const deadline = Date.now() + 2_000
      while (hung.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} hanging requests, have ${hung.length}`)
        await new Promise((r) => setTimeout(r, 10))
      }
    },
  })
}

/** Resolves when `promise` does; rejects naming `what` if that takes longer than `ms`. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}
