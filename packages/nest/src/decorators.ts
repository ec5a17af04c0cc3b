import { createParamDecorator, type ExecutionContext, Inject } from '@nestjs/common'
import { clientOnRequest } from './request-clients.js'
import { DEFAULT_CLIENT_NAME, getClientToken, getRegistrationToken, getRequestClientToken } from './tokens.js'

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

/**
 * A handler parameter: this request's client, read from the request the registration's middleware
 * gave it to. Request scope only. Neither AsyncLocalStorage (`context` may be off) nor a
 * request-scoped provider (the controller stays a singleton): the cheapest way in, as `req.http` is
 * in Express. `async search(@RequestClient() http: MooringClient)`; a name picks a registration.
 */
export const RequestClient: (name?: string) => ParameterDecorator = createParamDecorator(
  (name: string | undefined, ctx: ExecutionContext) =>
    clientOnRequest(ctx.switchToHttp().getRequest(), name ?? DEFAULT_CLIENT_NAME),
)
