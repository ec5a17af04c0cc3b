export { MooringModule } from './mooring.module.js'
export type {
  MooringModuleAsyncOptions,
  MooringModuleExtras,
  MooringModuleOptions,
  MooringModuleRootOptions,
} from './mooring.module-definition.js'
export { ContextualClient } from './contextual-client.js'
export { InjectClient, InjectRegistration, InjectRequestClient, RequestClient } from './decorators.js'
export { NestMooring } from './registration.js'
export { DEFAULT_CLIENT_NAME, getClientToken, getRegistrationToken, getRequestClientToken } from './tokens.js'
export * from './core-exports.js'
