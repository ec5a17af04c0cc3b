export { createClient, MooringClient } from './client.js'
export type { CloseOptions, RequestInit, RequestOptions, ScopeOptions } from './client.js'
export { MooringResponse } from './response.js'
export {
  AbortError,
  ClientClosedError,
  ConfigError,
  ConnectionError,
  HttpStatusError,
  MooringError,
  RequestRejectedError,
  TimeoutError,
} from './errors.js'
export type { Delivery, RequestInfo, RetryReason, RetryRecord, TimeoutPhase } from './errors.js'
export type {
  ClientOptions,
  HeadersInput,
  HeaderValue,
  LimitOptions,
  QueryInput,
  QueryValue,
  RequestTimeoutOptions,
  TimeoutOptions,
  TlsOptions,
} from './options.js'
export { DEFAULT_LIMITS, DEFAULT_TIMEOUTS } from './options.js'
export type { ClientStats, OriginStats, PoolStats } from './stats.js'
export type { BodyInput } from './body.js'
export { redactUrl } from './redact.js'
export { ClientBinding, createBinding } from './binding.js'
export type { BindingOptions, BindingStats, InboundRequest } from './binding.js'
