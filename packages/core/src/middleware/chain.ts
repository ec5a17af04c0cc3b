import { HttpStatusError } from '../errors.js'
import { MooringResponse } from '../call/response.js'
import type { MooringRequest } from './request.js'
import type { Middleware, Next } from './types.js'

/**
 * A client's or scope's middleware, composed once when the client or scope is made: the `next`
 * each middleware gets is made here, not per call. The first middleware is the outermost.
 */
export class MiddlewareChain {
  readonly list: readonly Middleware[]
  /** No middleware: the client sends directly, the chain is never run. */
  readonly empty: boolean
  readonly #nexts: Next[]

  constructor(list: readonly Middleware[]) {
    this.list = list
    this.empty = list.length === 0
    this.#nexts = []
    for (let i = 0; i <= list.length; i++) this.#nexts.push((request) => this.#invoke(i, request))
  }

  /** The chain with `inner` run inside this one's: a scope's middleware under its parent's. */
  extend(inner: readonly Middleware[]): MiddlewareChain {
    return inner.length === 0 ? this : new MiddlewareChain([...this.list, ...inner])
  }

  /** The chain of a client's root scope: its middleware, or the empty chain scopes extend. */
  static of(list: readonly Middleware[]): MiddlewareChain {
    return list.length === 0 ? EMPTY : new MiddlewareChain(list)
  }

  /** Runs the request through every middleware; `raiseForStatus` is applied to what comes out. */
  async run(request: MooringRequest, raiseForStatus: boolean): Promise<MooringResponse> {
    const response = await this.#invoke(0, request)
    if (raiseForStatus && response.status >= 400) throw new HttpStatusError(response)
    return response
  }

  async #invoke(i: number, given: MooringRequest): Promise<MooringResponse> {
    // The last step sends: planning the call copies what it reads (headers included), so the
    // request the last middleware kept is not changed by it and needs no copy of its own.
    if (i === this.list.length) return given._send(given)
    // Each middleware works on its own copy: the caller may call `next` again with what it kept.
    const request = given.clone()
    const response = await this.list[i](request, this.#nexts[i + 1])
    if (!(response instanceof MooringResponse)) {
      throw new TypeError(
        `middleware[${i}] returned ${response === null ? 'null' : typeof response}, not a MooringResponse (from next() or request.respond())`,
      )
    }
    return response
  }
}

const EMPTY = new MiddlewareChain([])
