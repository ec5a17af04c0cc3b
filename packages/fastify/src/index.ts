import type { MooringClient } from '@mooring/core'
import type { MooringAccessor } from './accessor.js'

export { MooringAccessor } from './accessor.js'
export { mooring, mooring as default, type MooringFastifyOptions } from './plugin.js'
export { FastifyMooring } from './registration.js'
export * from './core-exports.js'

/**
 * Types for the default name. A registration under another name is typed the same way in your app,
 * and found with `app.mooring.get(name)` / `app.mooring.current(name)`:
 *
 *   declare module 'fastify' {
 *     interface FastifyRequest { billing: MooringClient }
 *   }
 */
declare module 'fastify' {
  interface FastifyInstance {
    /** Finds registrations by name: `app.mooring.current(name?)`, `app.mooring.get(name?)`. */
    mooring: MooringAccessor
  }
  interface FastifyRequest {
    /** This request's client of the registration named `http`: its scope, or the app client in app scope. */
    http: MooringClient
  }
}
