export { MooringClient } from './client/client.js'
export { createClient } from './client/create.js'
export { ScopeFactory } from './client/scope-factory.js'
export type { ScopeFactoryStats, ScopeOverrides } from './client/scope-factory.js'
export type { CloseOptions, MooringRequestInit, RequestOptions, ScopeOptions } from './client/client.js'
export { MooringResponse } from './call/response.js'
export type { ResponseSummary } from './call/response.js'
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
  ResponseDecodeError,
  RateLimitedError,
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
} from './config/options.js'
export { DEFAULT_LIMITS, DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUTS } from './config/options.js'
export type { ClientStats, OriginStats, PoolStats } from './observe/stats.js'
export type { BodyInput } from './config/body.js'
export type { RetryOptions } from './policy/retry.js'
export { DEFAULT_RETRY, IDEMPOTENT_METHODS } from './policy/retry.js'
export { channels } from './observe/instrument.js'
export type { ProxyOptions } from './features/proxy.js'
export type { Http2Option } from './features/http2.js'
export type { PaginateOptions } from './features/paginate.js'
export type { RateLimitOptions } from './features/rate-limit.js'
export type { CookiesOption } from './features/cookies.js'
export type { HedgeOptions } from './features/hedge.js'
export type { CacheOptions, CacheStats, CacheStore } from './features/cache.js'
export { USER_AGENT } from './features/user-agent.js'
export type {
  ErrorEvent,
  HookFunction,
  HookInput,
  Hooks,
  RequestEvent,
  ResponseEvent,
  RetryEvent,
} from './observe/instrument.js'
export { MooringRequest } from './middleware/request.js'
export type { RespondInit } from './middleware/request.js'
export type { HeaderRecord } from './config/headers.js'
export type { Middleware, Next } from './middleware/types.js'
export { bearerAuth } from './middleware/bearer-auth.js'
export type { BearerAuthOptions } from './middleware/bearer-auth.js'
export { redactUrl } from './observe/redact.js'
export { createRegistration, Registration } from './client/registration.js'
export { RegistrationHandle } from './client/registration-handle.js'
export { RegistrationNames } from './client/names.js'
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
} from './client/registration.js'
export type { CircuitBreakerOptions } from './policy/breaker.js'
export { memoryRateLimitStore, RATE_LIMIT_ADMITTED } from './policy/rate-limit-store.js'
export type {
  MemoryRateLimitStore,
  RateLimitDecision,
  RateLimitRule,
  RateLimitStore,
} from './policy/rate-limit-store.js'
