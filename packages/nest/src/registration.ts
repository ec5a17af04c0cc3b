import { RegistrationHandle } from '@mooring/core'

/**
 * One registration of Mooring in a Nest app, as `@InjectRegistration(name?)` gives it. Nest closes it
 * at application shutdown; `close()` and `closeWith()` are there for apps that manage it themselves.
 */
export class NestMooring<Name extends string = string> extends RegistrationHandle<Name> {}
