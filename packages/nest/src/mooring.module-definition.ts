import { type BindingOptions, type ClientBinding, ConfigError, createBinding } from '@mooring/core'
import { ConfigurableModuleBuilder, type DynamicModule, type Provider, Scope } from '@nestjs/common'
import { REQUEST } from '@nestjs/core'
import { contextualClient } from './contextual-client.js'
import { RequestClients } from './request-clients.js'
import { DEFAULT_CLIENT_NAME, getBindingToken, getClientToken, getRequestClientToken } from './tokens.js'

/**
 * Every option of a core binding but `name`, which is the registration's name here: it makes the
 * injection tokens, so it must be known when the module is declared, before an async factory runs.
 */
export type MooringModuleOptions = Omit<BindingOptions, 'name'>

export interface MooringModuleExtras {
  /** The registration's name: `@InjectClient(name)`. Default `http`. */
  name?: string
  /** Export the clients to every module, not only the ones that import this registration. */
  isGlobal?: boolean
}

/** The registration's own objects, private to its module instance (one per `forRoot`). */
export const REQUEST_CLIENTS = Symbol('MooringRequestClients')

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: MOORING_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MooringModuleOptions>({ moduleName: 'Mooring' })
  .setClassMethodName('forRoot')
  .setExtras<MooringModuleExtras>({ name: DEFAULT_CLIENT_NAME, isGlobal: false }, withClientProviders)
  .build()

export type MooringModuleRootOptions = typeof OPTIONS_TYPE
export type MooringModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE

function withClientProviders(definition: DynamicModule, extras: MooringModuleExtras): DynamicModule {
  const name = extras.name ?? DEFAULT_CLIENT_NAME
  const bindingToken = getBindingToken(name)
  const providers: Provider[] = [
    {
      provide: bindingToken,
      inject: [MOORING_MODULE_OPTIONS],
      useFactory: (options: MooringModuleOptions) => {
        const given = (options as BindingOptions).name
        if (given !== undefined && given !== name) {
          throw new ConfigError(
            'name',
            given,
            `no value from the factory (pass name: '${given}' to forRootAsync)`,
          )
        }
        return createBinding({ ...options, name })
      },
    },
    {
      provide: REQUEST_CLIENTS,
      inject: [bindingToken],
      useFactory: (binding: ClientBinding) => new RequestClients(binding),
    },
    {
      provide: getClientToken(name),
      inject: [bindingToken],
      useFactory: (binding: ClientBinding) =>
        binding.mode === 'app' ? binding.client : contextualClient(binding),
    },
    {
      provide: getRequestClientToken(name),
      scope: Scope.REQUEST,
      inject: [REQUEST, REQUEST_CLIENTS],
      useFactory: (request: unknown, clients: RequestClients) => clients.for(request),
    },
  ]
  return {
    ...definition,
    global: extras.isGlobal ?? false,
    providers: [...(definition.providers ?? []), ...providers],
    exports: [...(definition.exports ?? []), bindingToken, getClientToken(name), getRequestClientToken(name)],
  }
}
