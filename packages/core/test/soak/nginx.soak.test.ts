// Mooring behind a real nginx (Debian's package) that reloads every 200 ms, or restarts, under GET
// and POST load, over HTTP/1.1 and over HTTP/2 with TLS. Every call carries an id of its own, which
// nginx's access log and the node:http upstream record, so deliveries are counted, not guessed.
import { fileURLToPath } from 'node:url'
import { type ClientOptions, createClient } from '@mooring/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ca } from '../support/tls.js'
import {
  type Call,
  failureName,
  ID_HEADER,
  type Judgement,
  judge,
  type LoadClient,
  reloadEvery,
  restartOnce,
  runLoad,
  startRecordingUpstream,
} from './support/load.mjs'
import { findNginx, type Nginx, startNginx } from './support/nginx.mjs'

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url))

const nginxBin = findNginx()
const MISSING = 'nginx is not installed (apt-get install -y nginx; .ci/run installs it)'

/** Load per scenario: 16 loops for 5 s, every fourth call a POST without an Idempotency-Key. */
const LOAD = { concurrency: 16, durationMs: 5_000 }
const RELOAD_EVERY_MS = 200
/** Stopped 1.5 s in, started again a second after it has stopped: longer than GET retries can span. */
const RESTART = { afterMs: 1_500, gapMs: 1_000 }

type Transport = 'HTTP/1.1' | 'HTTP/2'

interface Setup {
  nginx: Nginx
  load: LoadClient
  /** Closes the client, stops nginx (so its log is complete) and judges `calls` against the logs. */
  finish(calls: Call[]): Promise<Judgement & { calls: Call[]; protocols: Set<string> }>
}

async function setup(transport: Transport): Promise<Setup> {
  const upstream = await startRecordingUpstream()
  onTestFinished(() => upstream.close())
  const nginx = await startNginx({
    upstreamPort: upstream.port,
    cert: fixture('server.pem'),
    key: fixture('server-key.pem'),
    bin: nginxBin,
  })
  onTestFinished(() => nginx.close())
  // The client as documented: defaults, a total bound; for HTTP/2 the README's multiplexing setting.
  const options: ClientOptions =
    transport === 'HTTP/2'
      ? {
          baseUrl: nginx.tlsUrl,
          http2: true,
          limits: { pipelining: 100 },
          tls: { ca },
          timeout: { total: 10_000 },
        }
      : { baseUrl: nginx.plainUrl, timeout: { total: 10_000 } }
  const client = createClient(options)
  onTestFinished(() => client.destroy())
  return {
    nginx,
    load: {
      name: 'mooring',
      async send(method, path, id) {
        const res = await client.request({
          method,
          path,
          headers: { [ID_HEADER]: id },
          ...(method === 'POST' && { json: { id } }),
        })
        await res.bytes()
        return res.status
      },
    },
    async finish(calls) {
      await client.close()
      // A graceful stop lets every request nginx still holds finish and be logged before we read.
      await nginx.stop()
      const log = await nginx.accessLog()
      return {
        ...judge(calls, log, upstream.seen),
        calls,
        protocols: new Set(log.map((line) => line.protocol)),
      }
    },
  }
}

function report(title: string, judged: Judgement, extra: Record<string, unknown> = {}): void {
  const { gets, posts, failures, delivery } = judged
  console.log(`[nginx soak] ${title}: ${JSON.stringify({ gets, posts, failures, delivery, ...extra })}`)
}

// Without nginx: in CI a failure, elsewhere the suite is reported skipped and says why, once.
if (!nginxBin && process.env.CI) {
  describe('nginx soak', () => {
    it('needs nginx in CI', () => {
      throw new Error(`${MISSING}: CI is set, so this suite must run`)
    })
  })
} else if (!nginxBin) {
  console.warn(`nginx soak skipped: ${MISSING}`)
}

describe.skipIf(!nginxBin)(`nginx reloads and restarts${nginxBin ? '' : ` [skipped: ${MISSING}]`}`, () => {
  for (const transport of ['HTTP/1.1', 'HTTP/2'] as const) {
    it(`${transport}: a reload every ${RELOAD_EVERY_MS} ms fails no GET, delivers no POST twice, labels every failure`, async () => {
      const { nginx, load, finish } = await setup(transport)
      const { calls, disturbance: reloads } = await runLoad({
        tag: `reload-${transport === 'HTTP/2' ? 'h2' : 'h1'}`,
        clients: [load],
        ...LOAD,
        disturb: (signal) => reloadEvery(nginx, RELOAD_EVERY_MS, signal),
      })
      const judged = await finish(calls)
      report(`${transport} reloads`, judged, { reloads })

      // The load ran, through nginx, over the transport named, across many reloads.
      expect(reloads).toBeGreaterThanOrEqual(15)
      expect(judged.gets.total).toBeGreaterThan(300)
      expect(judged.posts.total).toBeGreaterThan(100)
      expect(judged.protocols).toEqual(new Set([transport === 'HTTP/2' ? 'HTTP/2.0' : 'HTTP/1.1']))

      const failedGets = judged.calls.filter((c) => c.method === 'GET' && c.status !== 200).map(describeCall)
      expect(failedGets, 'failed GETs').toEqual([])
      expect(judged.postsDeliveredTwice, 'POSTs delivered twice').toEqual([])
      expect(judged.mislabelled, "failures labelled 'not-sent' that nginx or the upstream logged").toEqual([])
      expect(judged.unlabelledErrors, 'errors without a delivery label').toEqual([])
    }, 60_000)

    it(`${transport}: a restart fails GETs only as 'not-sent', delivers no POST twice`, async () => {
      const { nginx, load, finish } = await setup(transport)
      const { calls, disturbance: window } = await runLoad({
        tag: `restart-${transport === 'HTTP/2' ? 'h2' : 'h1'}`,
        clients: [load],
        ...LOAD,
        durationMs: 4_000,
        disturb: (_signal, origin) => restartOnce(nginx, { ...RESTART, origin }),
      })
      const judged = await finish(calls)
      const afterUp = judged.calls.filter((c) => c.start > window.up)
      report(`${transport} restart`, judged, {
        window: roundAll(window),
        afterUp: { calls: afterUp.length, ok: afterUp.filter((c) => c.status === 200).length },
        failedGetsBy: countLabels(judged.calls.filter((c) => c.method === 'GET' && c.status !== 200)),
      })

      // nginx was down for at least the gap, and the load ran on both sides of it.
      expect(window.up - window.stopped).toBeGreaterThanOrEqual(RESTART.gapMs)
      expect(judged.calls.some((c) => c.status === 200 && c.end < window.stopping)).toBe(true)
      expect(judged.calls.some((c) => c.status === 200 && c.start > window.up)).toBe(true)

      const failedGets = judged.calls.filter((c) => c.method === 'GET' && c.status !== 200)
      // A second without nginx is longer than GET retries span: some GETs fail, and their last attempt
      // was refused (ECONNREFUSED). A call's delivery is the worst of its attempts', so such a GET is
      // 'not-sent' unless an earlier attempt may have reached nginx, and then 'maybe', and only then:
      // nginx or the upstream logged its id (over HTTP/2 undici tears the connection down on the
      // GOAWAY of nginx's graceful stop, failing streams nginx was serving: it logs them 499), or
      // its own record shows an attempt that failed after sending (undici's GOAWAY SocketError,
      // a reset). Anything else labelled 'maybe' would be a needless 'maybe'; 'not-sent' for a
      // logged id a lie.
      expect(failedGets.length).toBeGreaterThan(0)
      expect(
        failedGets.filter((c) => deliveryOf(c) !== expectedDelivery(c, judged)).map(describeCall),
        'failed GETs labelled other than their attempts and the logs say',
      ).toEqual([])
      // …and they failed within the window: from the stop to nginx accepting again.
      expect(
        failedGets.filter((c) => c.end < window.stopping || c.start > window.up).map(describeCall),
      ).toEqual([])
      expect(judged.postsDeliveredTwice, 'POSTs delivered twice').toEqual([])
      expect(judged.mislabelled, "failures labelled 'not-sent' that nginx or the upstream logged").toEqual([])
      expect(judged.unlabelledErrors, 'errors without a delivery label').toEqual([])
    }, 60_000)
  }
})

function deliveryOf(call: Call): string | undefined {
  return (call.error as { delivery?: string } | undefined)?.delivery
}

/** Why an attempt failed, when it provably reached no server: its connection was refused. */
const NOT_SENT_REASONS = new Set(['ECONNREFUSED', 'timeout:connect'])
/**
 * HTTP/2 refusals: `not-sent` when the error provably belongs to the attempt's own stream, `maybe`
 * when undici handed it on from another stream; the retry record does not say which, so either.
 */
const H2_REFUSALS = new Set([
  'NGHTTP2_REFUSED_STREAM',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_INVALID_SESSION',
  'ERR_HTTP2_STREAM_CANCEL',
])

/**
 * The delivery a failed call must report: `maybe` when nginx or the upstream logged its id, or an
 * earlier attempt failed in a way that may have reached nginx; `not-sent` when every attempt was
 * refused; either when its only doubt is an HTTP/2 refusal (see H2_REFUSALS).
 */
function expectedDelivery(call: Call, judged: Judgement): string | undefined {
  if (judged.logged(call.id) > 0) return 'maybe'
  const error = call.error as { retries?: { reason: string }[]; causeCode?: string; phase?: string }
  // Why each attempt failed: the retried ones, then the last.
  const reasons = (error.retries ?? []).map((r) => r.reason)
  reasons.push(error.causeCode ?? (error.phase ? `timeout:${error.phase}` : 'unknown'))
  if (reasons.some((r) => !NOT_SENT_REASONS.has(r) && !H2_REFUSALS.has(r))) return 'maybe'
  if (reasons.some((r) => H2_REFUSALS.has(r))) return deliveryOf(call)
  return 'not-sent'
}

/** Failed calls by delivery and the reasons their attempts failed, for the report. */
function countLabels(calls: Call[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const call of calls) {
    const retries = (call.error as { retries?: { reason: string }[] }).retries ?? []
    const key = `${deliveryOf(call)} after ${retries.map((r) => r.reason).join('+') || 'none'}`
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

function describeCall(call: Call): string {
  const delivery = deliveryOf(call)
  const retries = (call.error as { retries?: { reason: string }[] } | undefined)?.retries ?? []
  const after = retries.length > 0 ? ` after ${retries.map((r) => r.reason).join(', ')}` : ''
  return `${call.id} ${failureName(call)}${delivery ? ` delivery=${delivery}` : ''}${after} at ${Math.round(call.end)} ms`
}

function roundAll(times: object): Record<string, number> {
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(v)]))
}
