export { MooringModule } from './mooring.module.js'
export type {
  MooringModuleAsyncOptions,
  MooringModuleExtras,
  MooringModuleOptions,
  MooringModuleRootOptions,
} from './mooring.module-definition.js'
export { InjectBinding, InjectClient, InjectRequestClient } from './decorators.js'
export { DEFAULT_CLIENT_NAME, getBindingToken, getClientToken, getRequestClientToken } from './tokens.js'
export { DownstreamClosedError } from '@mooring/core'
