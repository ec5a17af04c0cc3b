/** The registration handlers get when they name none, matching core's default `name`. */
export const DEFAULT_CLIENT_NAME = 'http'

/** Token of the client `@InjectClient(name)` injects: the current request's client, or the app client. */
export function getClientToken(name: string = DEFAULT_CLIENT_NAME): string {
  return `MooringClient:${name}`
}

/** Token of the `Scope.REQUEST` provider `@InjectRequestClient(name)` injects. */
export function getRequestClientToken(name: string = DEFAULT_CLIENT_NAME): string {
  return `MooringRequestClient:${name}`
}

/** Token of the registration (`NestMooring`: its app `client`, `current()`, `stats()`). */
export function getRegistrationToken(name: string = DEFAULT_CLIENT_NAME): string {
  return `MooringRegistration:${name}`
}
