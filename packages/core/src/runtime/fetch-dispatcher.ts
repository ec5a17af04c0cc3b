import type { AppResponse } from '../in-process/controller.js'
import { fromFetchResponse, toFetchRequest, transportError } from '../in-process/fetch.js'
import { InProcessTransport } from '../in-process/transport.js'
import type { InProcessRequest } from '../in-process/request.js'

/** How runtimes word a connection that was never made, or was lost, where they give no code. */
const REFUSED = /refused/i
const RESET = /reset|connection (?:closed|lost)|socket hang up|closed unexpectedly/i

/**
 * Headers fetch writes itself, from the body and the connection it picks: undici's fetch refuses a
 * given `content-length`, and the others are the connection's business, not the request's.
 */
const CONNECTION_HEADERS = [
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'host',
]

/** Bun's codes for what Node calls by errno. */
const BUN_CODES: Record<string, string> = {
  ConnectionRefused: 'ECONNREFUSED',
  ConnectionClosed: 'ECONNRESET',
  ECONNRESET: 'ECONNRESET',
  FailedToOpenSocket: 'ECONNREFUSED',
}

/**
 * A failed `fetch()` as a transport error whose `code` is what undici's would have been, so
 * map-error.ts tells `not-sent` from `maybe`, and the retry policy's `errorCodes` apply unchanged.
 * Node's fetch carries the errno on `cause`, Bun names it in `code`, Deno and workerd only in the
 * message.
 */
export function fetchFailure(err: unknown): Error {
  const e = err as { code?: unknown; cause?: { code?: unknown }; message?: unknown } | null
  let code: string | undefined
  if (typeof e?.cause?.code === 'string') code = e.cause.code
  else if (typeof e?.code === 'string') code = BUN_CODES[e.code] ?? e.code
  const message = typeof e?.message === 'string' ? e.message : String(err)
  if (code === undefined) {
    if (REFUSED.test(message)) code = 'ECONNREFUSED'
    else if (RESET.test(message)) code = 'ECONNRESET'
    else code = 'ERR_FETCH_FAILED'
  }
  return Object.assign(transportError(code, `fetch failed: ${message}`), { cause: err })
}

function globalFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  return fetch(input, init)
}

/**
 * The owned dispatcher where undici's Agent cannot run (Bun, workerd) or where `transport: 'fetch'`
 * asks for it: each attempt is one `fetch()` of the runtime, driven through the in-process
 * transport's controller, so Call sees undici's handler API as on a socket and everything above it
 * (scopes, deadlines, retries, budget, breaker, hooks, typed errors) is the same code. The runtime
 * pools connections; `redirect: 'manual'` leaves redirects to Mooring's own policy. The request
 * body is read in full first (fetch streams a request body only with `duplex: 'half'`, which not
 * every runtime has).
 */
export class FetchDispatcher extends InProcessTransport {
  readonly #fetch: typeof fetch

  /** By default the global `fetch`, looked up per call and called unbound (workerd's refuses another `this`). */
  constructor(fetchImpl: typeof fetch = globalFetch) {
    super()
    this.#fetch = fetchImpl
  }

  protected async serve(request: InProcessRequest, signal: AbortSignal): Promise<AppResponse> {
    const headers = request.headers
    for (const name of CONNECTION_HEADERS) if (headers[name] !== undefined) delete headers[name]
    let response: Response
    try {
      response = await this.#fetch(toFetchRequest(request, signal), { redirect: 'manual' })
    } catch (err) {
      throw signal.aborted ? err : fetchFailure(err)
    }
    return fromFetchResponse(response, request.method)
  }
}
