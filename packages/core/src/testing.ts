/**
 * `@mooring/core/testing`: transports for tests, kept out of the main entry so a production install
 * loads no test tooling. `appTransport` into a Node listener needs light-my-request (an optional
 * peer dependency), loaded on its first request.
 */
export { InProcessTransport } from './in-process/transport.js'
export { MockTransport, mockTransport } from './transports/mock.js'
export type {
  MockCall,
  MockHandler,
  MockReply,
  MockResponseParts,
  MockTransportOptions,
} from './transports/mock.js'
export { appTransport } from './transports/app.js'
export type {
  AppTransportOptions,
  FetchApp,
  InjectableApp,
  InProcessApp,
  NodeRequestListener,
} from './transports/app.js'
export type { FetchHandler } from './in-process/fetch.js'
