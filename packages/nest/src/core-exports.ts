// The same list in every Mooring plugin: what its README and its users' handlers name, so an app
// imports them from the plugin it installed, not from @mooring/core.
export {
  AbortError,
  CircuitOpenError,
  ClientClosedError,
  ConfigError,
  ConnectionError,
  DownstreamClosedError,
  HttpStatusError,
  MooringClient,
  MooringError,
  MooringResponse,
  RequestRejectedError,
  ResponseTooLargeError,
  TimeoutError,
  TooManyRedirectsError,
} from '@mooring/core'
export type {
  ClientOptions,
  CloseOptions,
  ClosingServer,
  PluginRegistration,
  RegistrationOptions,
  RegistrationStats,
  RequestOptions,
  RetryOptions,
  ScopeOptions,
  TimeoutOptions,
} from '@mooring/core'
