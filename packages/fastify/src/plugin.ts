import { type BindingOptions, ConfigError, createBinding } from '@mooring/core'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { MooringAccessor } from './accessor.js'
import { addRequestHooks } from './request-hooks.js'

/** Every core client option, plus `scope`, `name`, `pool`, `maxConcurrent`, `propagate`, `deadline`, `client`. */
export type MooringFastifyOptions = BindingOptions

const ACCESSOR = 'mooring'

async function mooringPlugin(app: FastifyInstance, options: MooringFastifyOptions): Promise<void> {
  const name = options.name ?? 'http'
  if (
    typeof name === 'string' &&
    (name === ACCESSOR || app.hasDecorator(name) || app.hasRequestDecorator(name))
  ) {
    throw new ConfigError('name', name, 'a name not yet taken on this Fastify instance or its requests')
  }
  const binding = createBinding(options)
  try {
    const accessor = accessorOf(app)
    app.decorate(binding.name, binding.client)
    if (binding.mode === 'app') app.decorateRequest(binding.name, { getter: () => binding.client })
    else addRequestHooks(app, binding)
    accessor.add(binding)
  } catch (err) {
    await binding.close()
    throw err
  }
  // onClose hooks run after Fastify has closed the server and let in-flight requests finish.
  app.addHook('onClose', () => binding.close())
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
 * `await app.register(mooring, { baseUrl, ... })`: `app.http` is the app client, `request.http` the
 * request's client, `app.mooring.current()` the current one from code that has no request.
 */
export const mooring = fp(mooringPlugin, { name: '@mooring/fastify', fastify: '5.x' })
