// `pnpm demo`: every example app, in app scope and in request scope, against one fake-tmdb with
// faults on. Each gets a burst of searches, is shut down as SIGTERM would, and is measured: did the
// searches succeed, how many upstream connections did they take, what was retried and why, and were
// any sockets left open once the app had closed. Exits 1 if a search failed that should not have,
// or anything was left open. Runs the built examples: `pnpm demo` builds them first.
// `pnpm demo --trace`: one search, its trace printed as a tree (trace.mjs).
import { progressLine } from './progress.mjs'
import { explain, report } from './report.mjs'
import { DEMO_FAULTS, runDemo } from './run-demo.mjs'

if (process.argv.includes('--trace')) {
  const { main } = await import('./trace.mjs')
  await main()
} else await burstDemo()

async function burstDemo() {
  const REQUESTS = Number(process.env.DEMO_REQUESTS ?? 300)
  const CONCURRENCY = 16
  const examples = []
  for (const framework of ['express', 'fastify', 'hono', 'nest']) {
    const { startServer } = await import(`@mooring/example-${framework}`)
    examples.push({ framework, startServer })
  }

  const progress = progressLine({
    runs: examples.length * 2,
    requests: REQUESTS,
    tty: process.stdout.isTTY === true,
    write: (text) => process.stdout.write(text),
  })
  const results = await runDemo({
    examples,
    requests: REQUESTS,
    concurrency: CONCURRENCY,
    onStart(fake) {
      const { latency, failRate, retryAfter, dropRate } = DEMO_FAULTS
      console.log(
        `fake-tmdb on ${fake.baseUrl}: ${latency.join('-')} ms latency, ${failRate * 100}% answered 503 ` +
          `(Retry-After ${retryAfter.join(' or ')} s), ${dropRate * 100}% of requests on a reused keep-alive ` +
          'connection dropped unanswered',
      )
      console.log(`${REQUESTS} searches per app, ${CONCURRENCY} at a time\n`)
    },
    onProgress: progress.update,
  })
  progress.end()
  console.log(`\n${report(results)}\n\n${explain(results)}`)

  const problems = results.flatMap((r) => r.problems.map((p) => `${r.framework} ${r.scope}: ${p}`))
  if (problems.length > 0) {
    console.error(`\nFAILED:\n  ${problems.join('\n  ')}`)
    process.exitCode = 1
  } else {
    console.log('Every search that could succeed did; every app closed its client and all of its sockets.')
  }
}
