import * as core from '@mooring/core'
import { expect } from 'vitest'

/** What every plugin's registration shows, whatever the framework. */
const SURFACE = ['name', 'mode', 'client', 'current', 'stats', 'close', 'closeWith'] as const

/** The core names every plugin re-exports, the same list in all four. */
export const CORE_RE_EXPORTS = [
  'AbortError',
  'CircuitOpenError',
  'ClientClosedError',
  'ConfigError',
  'ConnectionError',
  'DownstreamClosedError',
  'HttpStatusError',
  'MooringClient',
  'MooringError',
  'MooringResponse',
  'RequestRejectedError',
  'ResponseTooLargeError',
  'TimeoutError',
  'TooManyRedirectsError',
]

/**
 * Asserts a plugin's registration shows the one surface, over core's Registration held privately
 * (composed, not subclassed), and is fresh (no scope opened yet). `context`: whether the plugin's
 * request scope runs in a context by default (then `current()` outside a request is the app client;
 * else it throws, naming the option).
 */
export function expectPluginSurface(registration: object, context: boolean): void {
  for (const member of SURFACE) expect(registration).toHaveProperty(member)
  const shown = registration as core.PluginRegistration
  expect(shown.name).toBe('http')
  expect(shown.client).toBeInstanceOf(core.MooringClient)
  expect(shown.mode).toBe('request')
  if (context) expect(shown.current()).toBe(shown.client)
  else
    expect(() => shown.current()).toThrow(expect.objectContaining({ name: 'ConfigError', option: 'context' }))
  expect(shown.stats()).toMatchObject({ scopesOpened: 0, scopesClosed: 0 })
  expect(registration).not.toBeInstanceOf(core.Registration)
  for (const internal of ['open', 'openExchange', 'release', 'run', 'enter', 'binding', 'registration']) {
    expect(internal in registration, internal).toBe(false)
  }
}

/** Asserts `module` re-exports exactly `CORE_RE_EXPORTS` of core's runtime names, as core's own. */
export function expectCoreReExports(module: object): void {
  const reExported = Object.keys(module).filter(
    (key) =>
      key in core && (module as Record<string, unknown>)[key] === (core as Record<string, unknown>)[key],
  )
  expect(reExported.sort()).toEqual([...CORE_RE_EXPORTS].sort())
}
