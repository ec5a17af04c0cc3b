import { describe, expect, it } from 'vitest'
import { CircuitOpenError, ConfigError, createClient } from '../../src/index.js'
import { sleep } from '../support/async.js'
import * as fixture from '../support/fixtures.js'
import { startUpstream } from '../support/upstream.js'

describe('the circuit breaker (opt-in)', () => {
  it('opens after consecutive failures, fails fast without sending, then closes after a good probe', async () => {
    let healthy = false
    const upstream = await fixture.upstream((_req, res) => {
      res.statusCode = healthy ? 200 : 500
      res.end()
    })
    const client = fixture.client({
      baseUrl: upstream.url,
      retry: false,
      circuitBreaker: { consecutiveFailures: 3, halfOpenAfter: 200 },
    })
    for (let i = 0; i < 3; i++) expect((await client.get('/x')).status).toBe(500)
    const sent = upstream.requests.length
    const error = await client.get('/x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(error).toMatchObject({ code: 'MOORING_CIRCUIT_OPEN', delivery: 'not-sent' })
    expect(upstream.requests.length).toBe(sent)

    healthy = true
    await sleep(250)
    // Half-open: one probe goes through; a concurrent call still fails fast.
    const [probe, other] = await Promise.allSettled([client.get('/probe'), client.get('/other')])
    expect(probe.status === 'fulfilled' && probe.value.status).toBe(200)
    expect(other.status === 'rejected' && other.reason).toBeInstanceOf(CircuitOpenError)
    // Closed again.
    expect((await client.get('/x')).status).toBe(200)
  })

  it('counts connection errors and re-opens on a failed probe', async () => {
    const dead = await startUpstream()
    const url = dead.url
    await dead.close()
    const client = fixture.client({
      baseUrl: url,
      retry: false,
      circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: 100 },
    })
    await client.get('/a').catch(() => {})
    await client.get('/b').catch(() => {})
    await expect(client.get('/c')).rejects.toBeInstanceOf(CircuitOpenError)
    await sleep(150)
    await expect(client.get('/probe')).rejects.toMatchObject({ causeCode: 'ECONNREFUSED' })
    await expect(client.get('/d')).rejects.toBeInstanceOf(CircuitOpenError)
  })

  it('rejects bad options with ConfigError naming them', () => {
    expect(() => createClient({ circuitBreaker: { consecutiveFailures: 0 } })).toThrow(ConfigError)
    expect(() => createClient({ circuitBreaker: { consecutiveFailures: 0 } })).toThrow(
      /circuitBreaker\.consecutiveFailures/,
    )
    expect(() => createClient({ circuitBreaker: { sampling: { threshold: 2, duration: 1000 } } })).toThrow(
      /circuitBreaker\.sampling\.threshold/,
    )
  })
})
