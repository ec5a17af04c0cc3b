import { ConfigError, Registration, RegistrationNames, type RegistrationOptions } from '@mooring/core'
import { ConfigurableModuleBuilder, type DynamicModule, type Provider, Scope } from '@nestjs/common'
import { ModulesContainer, REQUEST } from '@nestjs/core'
import { ContextualClient } from './contextual-client.js'
import { NestMooring } from './registration.js'
import { RequestClients } from './request-clients.js'
import { DEFAULT_CLIENT_NAME, getClientToken, getRegistrationToken, getRequestClientToken } from './tokens.js'

/**
 * Every option of a core registration but `name`, which is the registration's name here: it makes the
 * injection tokens, so it must be known when the module is declared, before an async factory runs.
 */
export type MooringModuleOptions = Omit<RegistrationOptions, 'name'>

export interface MooringModuleExtras {
  /** The registration's name: `@InjectClient(name)`. Default `http`. */
  name?: string
  /** Export the clients to every module, not only the ones that import this registration. */
  isGlobal?: boolean
}

/** The registration's own objects, private to its module instance (one per `forRoot`). */
export const REQUEST_CLIENTS = Symbol('MooringRequestClients')
/** Core's registration, private to its module instance: users get `NestMooring`. */
const REGISTRATION = Symbol('MooringRegistration')

/**
 * The names taken in each Nest app (keyed by its modules container): two registrations of one name
 * would provide the same tokens, and Nest would quietly inject one of them.
 */
const namesByApp = new WeakMap<object, RegistrationNames>()

function namesOf(container: object): RegistrationNames {
  let names = namesByApp.get(container)
  if (names === undefined) {
    names = new RegistrationNames('MooringModule registration in this Nest app')
    namesByApp.set(container, names)
  }
  return names
}

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

/** What a provider injects instead, for the error `current()` throws with the context off. */
function injectRequestClient(name: string): string {
  return name === DEFAULT_CLIENT_NAME ? '@InjectRequestClient()' : `@InjectRequestClient('${name}')`
}

function withClientProviders(definition: DynamicModule, extras: MooringModuleExtras): DynamicModule {
  const name = extras.name ?? DEFAULT_CLIENT_NAME
  const registrationToken = getRegistrationToken(name)
  const providers: Provider[] = [
    {
      provide: REGISTRATION,
      inject: [MOORING_MODULE_OPTIONS, ModulesContainer],
      useFactory: (options: MooringModuleOptions, modules: ModulesContainer) => {
        const given = (options as RegistrationOptions).name
        if (given !== undefined && given !== name) {
          throw new ConfigError(
            'name',
            given,
            `no value from the factory (pass name: '${given}' to forRootAsync)`,
          )
        }
        // The context is on unless the options turn it off: @InjectClient() follows it in request scope.
        return new Registration(
          { ...options, name },
          { names: namesOf(modules), context: true, requestClient: injectRequestClient },
        )
      },
    },
    {
      provide: registrationToken,
      inject: [REGISTRATION],
      useFactory: (registration: Registration) => new NestMooring(registration),
    },
    {
      provide: REQUEST_CLIENTS,
      inject: [REGISTRATION],
      useFactory: (registration: Registration) => new RequestClients(registration),
    },
    {
      provide: getClientToken(name),
      inject: [REGISTRATION],
      useFactory: (registration: Registration) => {
        if (registration.mode === 'app') return registration.client
        // Made at startup even when nothing injects it, so never refused here: with `context: false`
        // it fails when used, through current(), with the error naming the option.
        return new ContextualClient(registration)
      },
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
    exports: [
      ...(definition.exports ?? []),
      registrationToken,
      getClientToken(name),
      getRequestClientToken(name),
    ],
  }
}
