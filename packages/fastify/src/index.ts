import type { MooringClient } from '@mooring/core'
import type { MooringAccessor } from './accessor.js'

export { MooringAccessor } from './accessor.js'
export { mooring, mooring as default, type MooringFastifyOptions } from './plugin.js'
export { DownstreamClosedError } from '@mooring/core'

/**
 * Types for the default name. For another name, declare it the same way in your app:
 *
 *   declare module 'fastify' {
 *     interface FastifyInstance { users: MooringClient }
 *     interface FastifyRequest { users: MooringClient }
 *   }
 */
declare module 'fastify' {
  interface FastifyInstance {
    /** The app client of the registration named `http` (the default). */
    http: MooringClient
    /** Finds registrations by name: `app.mooring.current(name?)` is the current request's client. */
    mooring: MooringAccessor
  }
  interface FastifyRequest {
    /** This request's client of the registration named `http`: its scope, or the app client in app scope. */
    http: MooringClient
  }
}
