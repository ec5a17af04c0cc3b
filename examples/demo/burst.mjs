import { Agent, request } from 'node:http'

/** Words found in fake-tmdb's show names, and one found in none. */
const QUERIES = [
  'harbor',
  'tide',
  'anchor',
  'signal',
  'station',
  'the lost',
  'canal',
  'ledger',
  'ferry',
  'zeppelin',
]
const REQUEST_TIMEOUT = 20_000

/**
 * Sends `requests` searches to the app at `url`, `concurrency` at a time, over keep-alive connections
 * that are closed at the end (so the app's server can close at once). Each search has its own
 * x-request-id. Calls `onProgress(done)` as it goes.
 */
export async function burst(url, { requests, concurrency, label, onProgress }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const latencies = []
  const failures = []
  let ok = 0
  let next = 0
  const worker = async () => {
    while (next < requests) {
      const i = next++
      const q = QUERIES[i % QUERIES.length]
      const started = performance.now()
      const res = await search(agent, `${url}/movies/search?q=${encodeURIComponent(q)}`, `${label}-${i}`)
      latencies.push(performance.now() - started)
      if (res.status === 200 && Array.isArray(res.body)) ok++
      else failures.push(res)
      onProgress?.(latencies.length, ok)
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker))
  } finally {
    agent.destroy()
  }
  latencies.sort((a, b) => a - b)
  return { requests, ok, failures, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) }
}

function search(agent, url, requestId) {
  return new Promise((resolve) => {
    const req = request(
      url,
      { agent, headers: { 'x-request-id': requestId }, signal: AbortSignal.timeout(REQUEST_TIMEOUT) },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () => {
          let body = text
          try {
            body = JSON.parse(text)
          } catch {}
          resolve({ status: res.statusCode, body })
        })
        res.on('error', (err) => resolve({ status: 0, body: err.message }))
      },
    )
    req.on('error', (err) => resolve({ status: 0, body: err.message }))
    req.end()
  })
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]
}
