import { RegistrationHandle } from '@mooring/core'

/**
 * One registration of Mooring in a Fastify app, as `app.mooring.get(name)` gives it. Fastify closes
 * it in its `onClose` hook; `close()` and `closeWith()` are there for apps that manage it themselves.
 */
export class FastifyMooring<Name extends string = string> extends RegistrationHandle<Name> {}
