import type { IncomingMessage, ServerResponse } from 'node:http'
import { ConfigError } from '../errors.js'
import { expectObject } from '../config/validate.js'
import { type FetchHandler, FetchTransport } from '../in-process/fetch.js'
import type { InProcessTransport } from '../in-process/transport.js'
import { type Inject, type InjectedResponse, type InjectRequest, InjectTransport } from './inject.js'

/** An app with a fetch method (a Hono app). */
export interface FetchApp {
  fetch(request: Request): Response | Promise<Response>
}

/** A Node request listener (an Express or Koa app's callback, anything given to `http.createServer`). */
export type NodeRequestListener = (req: IncomingMessage, res: ServerResponse) => void

/** An app with its own injection (a Fastify instance), made ready before the first request. */
export interface InjectableApp {
  inject(options: Parameters<Inject>[0]): PromiseLike<InjectedResponse>
  ready?(): PromiseLike<unknown>
}

export type InProcessApp = FetchHandler | FetchApp | NodeRequestListener | InjectableApp

export interface AppTransportOptions {
  /**
   * How to call a plain function: `'fetch'` (a `Request` in, a `Response` out) or `'node'` (a
   * `(req, res)` listener). By default a function declaring two parameters or more is a Node
   * listener, one declaring fewer a fetch handler.
   */
  kind?: 'fetch' | 'node'
}

const OPTION_KEYS = ['kind']
const EXPECTED_APP =
  'a fetch handler (request) => Response, an object with fetch() (Hono), a Node (req, res) listener (Express) or an object with inject() (Fastify)'

function hasMethod<K extends string>(
  value: unknown,
  name: K,
): value is Record<K, (...args: never[]) => unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as Record<K, unknown>)[name] === 'function'
  )
}

function injectableTransport(app: InjectableApp): InjectTransport {
  let ready: PromiseLike<unknown> | undefined
  return new InjectTransport(async (options) => {
    if (typeof app.ready === 'function') {
      ready ??= app.ready()
      await ready
    }
    return app.inject(options)
  })
}

/**
 * A transport that sends requests straight into an app in this process, with no socket (what
 * httpx's ASGI and WSGI transports do for Python apps). The app is not closed with the transport:
 * it belongs to whoever made it.
 */
export function appTransport(app: InProcessApp, options: AppTransportOptions = {}): InProcessTransport {
  const o = expectObject('options', options, OPTION_KEYS) as AppTransportOptions
  if (o.kind !== undefined && o.kind !== 'fetch' && o.kind !== 'node') {
    throw new ConfigError('options.kind', o.kind, "'fetch' or 'node'")
  }
  if (hasMethod(app, 'inject')) return injectableTransport(app as InjectableApp)
  if (hasMethod(app, 'fetch')) {
    const fetchApp = app as FetchApp
    return new FetchTransport((request) => fetchApp.fetch(request))
  }
  if (typeof app !== 'function') throw new ConfigError('app', app, EXPECTED_APP)
  const kind = o.kind ?? (app.length >= 2 ? 'node' : 'fetch')
  if (kind === 'fetch') return new FetchTransport(app as FetchHandler)
  const listener = app as NodeRequestListener
  isolateExpressPrototypes(listener)
  return new InjectTransport(async (injectOptions) => (await loadInject())(listener, injectOptions))
}

type LightMyRequest = (listener: NodeRequestListener, options: InjectRequest) => PromiseLike<InjectedResponse>
let lightMyRequest: Promise<LightMyRequest> | undefined

/**
 * light-my-request is an optional peer dependency, loaded on the first request into a Node listener:
 * an app that never injects into one (or never imports `@mooring/core/testing`) does not need it.
 */
function loadInject(): Promise<LightMyRequest> {
  lightMyRequest ??= import('light-my-request').then(
    (mod) => (mod.default ?? mod) as unknown as LightMyRequest,
    (cause: unknown) => {
      lightMyRequest = undefined
      throw new Error(
        'appTransport: a Node (req, res) listener is served through light-my-request, which could not be loaded; install it as a dev dependency (npm install -D light-my-request)',
        { cause },
      )
    },
  )
  return lightMyRequest
}

/**
 * light-my-request (6.x, index.js) rewires the request and response prototypes of the first
 * Express app it injects into; those prototypes are shared by every Express app in the process,
 * so apps served on real sockets afterwards break ("Cannot set properties of undefined"). Upstream
 * fixed and reverted this (light-my-request#333). Giving this app its own copy of that layer keeps
 * the rewiring to the app under test.
 */
function isolateExpressPrototypes(listener: NodeRequestListener): void {
  const express = listener as unknown as { request?: { app?: unknown }; response?: object }
  if (express.request?.app !== listener) return
  for (const key of ['request', 'response'] as const) {
    const own = express[key] as object
    const shared = Object.getPrototypeOf(own) as object | null
    if (shared === null || shared === Object.prototype) continue
    Object.setPrototypeOf(
      own,
      Object.create(Object.getPrototypeOf(shared), Object.getOwnPropertyDescriptors(shared)),
    )
  }
}
