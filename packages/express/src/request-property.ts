import { ConfigError, MooringError } from '@mooring/core'
import express from 'express'

/**
 * Properties Node and Express set on every request object as their own (not on its prototype), so a
 * registration named after one of them would be overwritten, or would break routing.
 */
const SET_PER_REQUEST = [
  'socket',
  'client',
  'url',
  'method',
  'rawHeaders',
  'complete',
  'app',
  'res',
  'next',
  'params',
  'body',
  'route',
  'baseUrl',
  'originalUrl',
]

/** Per name, the symbol under which the middleware keeps a request's client. */
const SLOTS = new Map<string, symbol>()

/**
 * Checks that `name` is free on `req` (`query` is a getter without a setter in Express 5, so
 * assigning it would throw on every request), then puts an accessor for it on Express's request
 * prototype, which every app's (and sub-app's) request prototype inherits: read on a request the
 * middleware did not see, `req[name]` throws an error naming the missing `app.use(...)` instead of
 * being `undefined` under a type that says it is always there. The client itself sits under a
 * symbol on the request, which this returns: a plain property write per request (defining an own `req[name]` over the
 * accessor instead costs about 0.2 µs, and slows the request object down).
 */
export function claimRequestProperty(name: string): symbol {
  const claimed = SLOTS.get(name)
  if (claimed !== undefined) return claimed
  if (name in express.request || SET_PER_REQUEST.includes(name)) {
    throw new ConfigError('name', name, 'a property Express and Node do not already use on req')
  }
  const slot = Symbol(`mooring.express.${name}`)
  Object.defineProperty(express.request, name, {
    configurable: true,
    enumerable: false,
    get(this: Record<symbol, unknown>): unknown {
      const client = this[slot]
      if (client === undefined) throw notBound(name)
      return client
    },
    set(this: Record<symbol, unknown>, client: unknown) {
      this[slot] = client
    },
  })
  SLOTS.set(name, slot)
  return slot
}

function notBound(name: string): MooringError {
  return new MooringError(
    'MOORING_NOT_BOUND',
    `req.${name}: no client for this request: mount the '${name}' registration's middleware (app.use(${name}.middleware)) before this route`,
  )
}
