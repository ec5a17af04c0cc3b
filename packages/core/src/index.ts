export { createClient, MooringClient } from './client.js'
export { ScopeFactory } from './scope-factory.js'
export type { ScopeFactoryStats, ScopeOverrides } from './scope-factory.js'
export type { CloseOptions, MooringRequestInit, RequestOptions, ScopeOptions } from './client.js'
export { MooringResponse } from './response.js'
export type { ResponseSummary } from './response.js'
export {
  AbortError,
  CircuitOpenError,
  ClientClosedError,
  ConfigError,
  ConnectionError,
  DownstreamClosedError,
  HttpStatusError,
  MooringError,
  RequestRejectedError,
  ResponseTooLargeError,
  TooManyRedirectsError,
  TimeoutError,
} from './errors.js'
export type { Delivery, MooringRequestInfo, RetryReason, RetryRecord, TimeoutPhase } from './errors.js'
export type {
  ClientOptions,
  HeadersInput,
  HeaderValue,
  LimitOptions,
  QueryInput,
  QueryValue,
  RedactOptions,
  RequestTimeoutOptions,
  TimeoutOptions,
  TlsOptions,
} from './options.js'
export { DEFAULT_LIMITS, DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUTS } from './options.js'
export type { ClientStats, OriginStats, PoolStats } from './stats.js'
export type { BodyInput } from './body.js'
export type { RetryOptions } from './retry.js'
export { DEFAULT_RETRY, IDEMPOTENT_METHODS } from './retry.js'
export { channels } from './instrument.js'
export type { ErrorEvent, Hooks, RequestEvent, ResponseEvent, RetryEvent } from './instrument.js'
export { redactUrl } from './redact.js'
export { createRegistration, Registration } from './registration.js'
export { RegistrationNames } from './names.js'
export type {
  ClosableStore,
  PluginRegistration,
  RegistrationSeam,
  RegistrationOptions,
  RegistrationStats,
  ClosingServer,
  InboundRequest,
  NodeIncoming,
  NodeOutgoing,
} from './registration.js'
export type { CircuitBreakerOptions } from './breaker.js'
export { memoryRateLimitStore, RATE_LIMIT_ADMITTED } from './policy/rate-limit-store.js'
export type {
  MemoryRateLimitStore,
  RateLimitDecision,
  RateLimitRule,
  RateLimitStore,
} from './policy/rate-limit-store.js'
