import type { Socket } from 'node:net'
import { type buildConnector, Client, type Dispatcher } from 'undici'
import { ConfigError } from '../errors.js'

/**
 * `http2: true` negotiates h2 by ALPN over TLS; `'prior-knowledge'` also speaks h2 without TLS to
 * `http:` origins (h2c, undici's `useH2c`), for servers known to take it (gRPC-style backends,
 * service meshes).
 */
export type Http2Option = boolean | 'prior-knowledge'

/**
 * Streams one h2 connection carries at once when `limits.pipelining` is not set: the default
 * `SETTINGS_MAX_CONCURRENT_STREAMS` of a Node h2 server and what undici advertises
 * (`maxConcurrentStreams`). undici 7 runs at most `pipelining` requests on a connection whatever
 * its protocol (undici#4143), and its default of 1 left an h2 session carrying one stream at a time.
 */
export const H2_DEFAULT_STREAMS = 100

export function normalizeHttp2(path: string, value: unknown): Http2Option {
  if (value === undefined) return false
  if (typeof value === 'boolean' || value === 'prior-knowledge') return value
  throw new ConfigError(path, value, "a boolean, or 'prior-knowledge' for h2c on http: origins")
}

type Connect = (opts: buildConnector.Options, callback: buildConnector.Callback) => unknown

/**
 * Pool options whose clients pick their pipelining from the protocol each connection got: `streams`
 * on an h2 session, 1 (no HTTP/1.1 pipelining) on a connection where the server declined h2. A
 * fixed `pipelining` would either serialise h2 streams or pipeline HTTP/1.1 fallbacks; undici has no
 * per-protocol setting, so the connector's callback (which sees the ALPN result) sets it.
 */
export function perProtocolPipelining<T extends object>(poolOptions: T, streams: number): T {
  return {
    ...poolOptions,
    pipelining: 1,
    factory: (origin: string | URL, opts: Client.Options): Dispatcher => {
      const connect = opts.connect as Connect
      const client: Client = new Client(origin, {
        ...opts,
        connect: (connectOpts, callback) =>
          connect(connectOpts, (...args: [null, Socket] | [Error, null]) => {
            const socket = args[1]
            // alpnProtocol: set on a TLS socket by ALPN, and by undici on an h2c one.
            if (socket != null) {
              const h2 = (socket as Socket & { alpnProtocol?: string | false }).alpnProtocol === 'h2'
              client.pipelining = h2 ? streams : 1
            }
            callback(...args)
          }),
      })
      return client
    },
  }
}
