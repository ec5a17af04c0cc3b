import { ConfigError, type MooringClient, MooringError } from '@mooring/core'
import express, { type Request, type Response } from 'express'

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

/** Names whose accessor this module put on Express's request prototype. */
const ACCESSORS = new Set<string>()

/**
 * Checks that `name` is free on `req` (`query` is a getter without a setter in Express 5, so
 * assigning it would throw on every request), then puts an accessor for it on Express's request
 * prototype, shared by every app: read on a request the middleware did not see, `req[name]` throws
 * an error naming the missing `app.use(...)` instead of being `undefined` under a type that says it
 * is always there. The middleware gives each request its client as an own property, which hides
 * the accessor (and survives Express switching a request's prototype to a sub-app's).
 */
export function claimRequestProperty(name: string): void {
  if (ACCESSORS.has(name)) return
  if (name in express.request || SET_PER_REQUEST.includes(name)) {
    throw new ConfigError('name', name, 'a property Express and Node do not already use on req')
  }
  Object.defineProperty(express.request, name, {
    configurable: true,
    enumerable: false,
    get(): never {
      throw notBound(name)
    },
    set(this: Request, client: unknown) {
      own(this, name, client)
    },
  })
  ACCESSORS.add(name)
}

/** The client the middleware gave this request under `name`, if it ran. */
export function requestClientOf(req: Request, name: string): unknown {
  return Object.hasOwn(req, name) ? (req as unknown as Record<string, unknown>)[name] : undefined
}

export function attachClient(req: Request, res: Response, name: string, client: MooringClient): void {
  own(req, name, client)
  res.locals[name] = client
}

// One descriptor, filled and emptied per request, so defining the property allocates nothing.
const DESCRIPTOR: PropertyDescriptor = {
  value: undefined,
  writable: true,
  enumerable: true,
  configurable: true,
}

function own(req: object, name: string, value: unknown): void {
  DESCRIPTOR.value = value
  Object.defineProperty(req, name, DESCRIPTOR)
  DESCRIPTOR.value = undefined
}

function notBound(name: string): MooringError {
  return new MooringError(
    'MOORING_NOT_BOUND',
    `req.${name}: no client for this request: mount the '${name}' registration's middleware (app.use(${name}.middleware)) before this route`,
  )
}
