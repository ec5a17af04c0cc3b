import type { MooringResponse } from '../call/response.js'
import type { MooringRequest } from './request.js'

/** Sends `request` on through the rest of the pipeline (inner middleware, then the call itself). */
export type Next = (request: MooringRequest) => Promise<MooringResponse>

/**
 * A step around every call of a client or scope, as .NET's DelegatingHandler: it may change the
 * request (method, URL, headers, body), answer it itself (`request.respond(...)`), or call `next`
 * more than once. Each `next` is one whole call: Mooring's retries, deadlines and stale-connection
 * replay run inside it.
 */
export type Middleware = (request: MooringRequest, next: Next) => Promise<MooringResponse> | MooringResponse
