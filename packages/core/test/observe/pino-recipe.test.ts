import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import * as fixture from '../support/fixtures.js'
import { sleep } from '../support/upstream.js'
import { pinoHooks, requestLogger } from './recipes/pino.js'

/** A pino destination that keeps every line, parsed. */
function memoryLog() {
  const lines: Array<Record<string, unknown>> = []
  const raw: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        raw.push(line)
        lines.push(JSON.parse(line))
      }
      done()
    },
  })
  return { logger: pino({ base: null, timestamp: false }, stream), lines, raw }
}

describe('the pino recipe (docs/OBSERVABILITY.md)', () => {
  it('logs one line per call on its inbound request’s logger, with attempts and reasons, and no secret', async () => {
    const seen = new Map<string, number>()
    const upstream = await fixture.upstream(async (req, res) => {
      const count = (seen.get(req.url ?? '') ?? 0) + 1
      seen.set(req.url ?? '', count)
      await sleep(10)
      if (req.url?.startsWith('/down')) res.statusCode = 500
      else if (count === 1) res.statusCode = 503
      res.end()
    })
    const { logger, lines, raw } = memoryLog()
    const client = fixture.client({
      baseUrl: upstream.url,
      limits: { connections: 1 },
      retry: { limit: 1, backoff: { base: 1, max: 1 }, budget: false },
      raiseForStatus: true,
      hooks: pinoHooks(logger),
    })
    const inbound = (reqId: string, path: string) =>
      requestLogger.run(logger.child({ reqId }), async () => {
        await client.get(path).then(
          (r) => r.text(),
          () => undefined,
        )
      })
    await Promise.all([
      inbound('req-1', '/a'),
      inbound('req-2', '/b?token=s3cr3t'),
      inbound('req-3', '/down'),
    ])

    const byRequest = Object.fromEntries(lines.map((l) => [l.reqId, l]))
    expect(lines).toHaveLength(3)
    expect(byRequest['req-1']).toMatchObject({
      level: 30,
      msg: 'upstream call',
      upstream: `${upstream.url}/a`,
      status: 200,
      attempts: 2,
      retries: ['status:503'],
    })
    expect(byRequest['req-2']).toMatchObject({ status: 200, attempts: 2, retries: ['status:503'] })
    expect(byRequest['req-2']?.upstream).toBe(`${upstream.url}/b?token=[redacted]`)
    // A 500 answered twice (retried once), raised as HttpStatusError: the response line, then no other.
    expect(byRequest['req-3']).toMatchObject({ status: 500, attempts: 2, retries: ['status:500'] })
    expect(raw.join('\n')).not.toContain('s3cr3t')
  })

  it('logs a failure at warn with its error code', async () => {
    const hanging = await fixture.hanging()
    const { logger, lines } = memoryLog()
    const client = fixture.client({ baseUrl: hanging.url, retry: false, hooks: pinoHooks(logger) })
    await requestLogger.run(logger.child({ reqId: 'req-9' }), () =>
      client.get('/hang', { timeout: { headers: 30 } }).catch(() => undefined),
    )
    expect(lines).toEqual([
      expect.objectContaining({
        reqId: 'req-9',
        level: 40,
        msg: 'upstream call failed',
        error: 'MOORING_TIMEOUT',
        attempts: 1,
        retries: [],
      }),
    ])
  })

  it('is the code docs/OBSERVABILITY.md shows', () => {
    const doc = readFileSync(new URL('../../../../docs/OBSERVABILITY.md', import.meta.url), 'utf8')
    const recipe = readFileSync(new URL('./recipes/pino.ts', import.meta.url), 'utf8')
    expect(doc).toContain(recipe.trim())
  })
})
