import { Inject } from '@nestjs/common'
import { getClientToken, getRegistrationToken, getRequestClientToken } from './tokens.js'

/**
 * Injects the registration's client. In request scope it is a `ContextualClient` that sends through
 * the current request's client (the app client outside a request), so a singleton can hold it and
 * stay a singleton.
 */
export const InjectClient = (name?: string): PropertyDecorator & ParameterDecorator =>
  Inject(getClientToken(name))

/** Injects this request's client itself; the consumer becomes request-scoped, as Nest's `REQUEST` does. */
export const InjectRequestClient = (name?: string): PropertyDecorator & ParameterDecorator =>
  Inject(getRequestClientToken(name))

/** Injects the registration (`NestMooring`): its app `client`, `current()` and `stats()`. */
export const InjectRegistration = (name?: string): PropertyDecorator & ParameterDecorator =>
  Inject(getRegistrationToken(name))
