export interface AccessLogLine {
  method: string
  /** The `x-request-id` the request carried (`-` when none). */
  id: string
  status: number
  /** `HTTP/1.1` or `HTTP/2.0` */
  protocol: string
}

export interface Nginx {
  bin: string
  version: string
  prefix: string
  /** http://127.0.0.1:PORT, HTTP/1.1 */
  plainUrl: string
  /** https://127.0.0.1:PORT, HTTP/2 or HTTP/1.1 by ALPN */
  tlsUrl: string
  /** Reloads sent (SIGHUP to the master). */
  reloads: number
  reload(): void
  /** Graceful stop (SIGQUIT); SIGKILL after `timeoutMs` (5 s). */
  stop(timeoutMs?: number): Promise<void>
  /** Starts nginx again on the same ports after `stop()`. */
  start(): Promise<void>
  accessLog(): Promise<AccessLogLine[]>
  errorLog(): Promise<string>
  close(): Promise<void>
}

export function findNginx(): string | undefined
export function nginxVersion(bin: string): [number, number, number]
export function startNginx(options: {
  upstreamPort: number
  cert: string
  key: string
  bin?: string
}): Promise<Nginx>
