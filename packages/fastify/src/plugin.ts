import { ConfigError, Registration, type RegistrationOptions } from '@mooring/core'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { MooringAccessor } from './accessor.js'
import { FastifyMooring } from './registration.js'
import { addRequestHooks } from './request-hooks.js'

/** Every core client option, plus `scope`, `name`, `pool`, `maxConcurrent`, `propagate`, `deadline`, `client`. */
export type MooringFastifyOptions = RegistrationOptions

const ACCESSOR = 'mooring'

async function mooringPlugin(app: FastifyInstance, options: MooringFastifyOptions): Promise<void> {
  const name = options?.name ?? 'http'
  const accessor = accessorOf(app)
  // Checked before the registration, which creates the pool: a registration that fails leaves nothing open.
  // `mooring` is the accessor's; a name Fastify or another plugin decorated would be shadowed or throw.
  if (
    typeof name === 'string' &&
    (name === ACCESSOR ||
      accessor.find(name) !== undefined ||
      app.hasDecorator(name) ||
      app.hasRequestDecorator(name))
  ) {
    throw new ConfigError('name', name, 'a name not yet taken on this Fastify instance or its requests')
  }
  const registration = new Registration(options, { requestClient: requestProperty })
  try {
    if (registration.mode === 'app') {
      app.decorateRequest(registration.name, { getter: () => registration.client })
    } else addRequestHooks(app, registration)
    accessor.add(new FastifyMooring(registration))
  } catch (err) {
    await registration.close()
    throw err
  }
  // onClose hooks run after Fastify has closed the server and let in-flight requests finish.
  app.addHook('onClose', () => registration.close())
}

/** Where a handler finds the request's client, for the error `current()` throws with the context off. */
function requestProperty(name: string): string {
  return `request.${name}`
}

/** This context's `app.mooring`, created on first use; a child context gets its own over its parent's. */
function accessorOf(app: FastifyInstance): MooringAccessor {
  if (!app.hasDecorator(ACCESSOR)) {
    const accessor = new MooringAccessor()
    app.decorate(ACCESSOR, accessor)
    return accessor
  }
  const existing: unknown = app.mooring
  if (!(existing instanceof MooringAccessor)) {
    throw new ConfigError(ACCESSOR, existing, 'the @mooring/fastify accessor (the name is taken)')
  }
  if (Object.hasOwn(app, ACCESSOR)) return existing
  const accessor = new MooringAccessor(existing)
  app.decorate(ACCESSOR, accessor)
  return accessor
}

/**
 * `await app.register(mooring, { baseUrl, ... })`: `request.http` is the request's client,
 * `app.mooring.current()` the current one from code that has no request, `app.mooring.get()` the
 * registration (its app `client`, `stats()`).
 */
export const mooring = fp(mooringPlugin, { name: '@mooring/fastify', fastify: '5.x' })
