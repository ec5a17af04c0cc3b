import { type ClientBinding, MooringClient } from '@mooring/core'

/**
 * A `MooringClient` that is whichever client is current for `binding` at the moment it is used: the
 * request's scope inside a request, the app client outside one. Singletons hold it instead of the
 * scope itself, which would make every consumer up the chain request-scoped.
 */
export function contextualClient(binding: ClientBinding): MooringClient {
  // The target only lends its prototype, so `instanceof MooringClient` holds; nothing is read from it.
  const target = Object.create(MooringClient.prototype) as MooringClient
  return new Proxy(target, {
    get(_target, property) {
      const client = binding.current()
      const value: unknown = Reflect.get(client, property, client)
      // Methods read private fields, so they must run on the real client, not on the proxy.
      return typeof value === 'function' && property !== 'constructor' ? value.bind(client) : value
    },
    has(_target, property) {
      return Reflect.has(binding.current(), property)
    },
    set() {
      return false
    },
  })
}
