// RESULTS.md and its charts, from one run's results.
import { handlesText, int, fixed, mib, table, times } from './format.mjs'
import { barChart } from './svg.mjs'
import { checkTargets } from './targets.mjs'

function machineSection({ machine, versions, load, size, quick, date, durationS }) {
  const lines = [
    '## Machine and run',
    '',
    table(
      ['', ''],
      [
        ['date', date],
        ['mode', quick ? '`--quick` (smoke run: few requests, numbers not meaningful)' : 'full'],
        ['duration', `${Math.round(durationS)} s`],
        ['CPU', machine.cpu],
        ['memory', machine.memory],
        ['OS', machine.os],
        ['commit', versions.commit],
        [
          'concurrency, pool',
          `${size.concurrency} requests in flight, ${size.connections} connections per pool, for every client and route`,
        ],
      ],
      ['l', 'l'],
    ),
    '',
    'How busy the machine was: CPU time of processes other than the benchmark, averaged over each',
    `section, in cores (of ${machine.cores}); the benchmark's own processes alongside. Numbers taken while others`,
    'use the CPU are noisy in req/s; CPU time per request and same-round ratios hold up better.',
    '',
    table(
      ['section', 'seconds', 'other processes (cores)', 'benchmark (cores)', 'load average start → end'],
      Object.entries(load).map(([section, l]) => [
        section,
        fixed(l.seconds, 0),
        fixed(l.othersCores, 2),
        fixed(l.ourCores, 2),
        `${fixed(l.loadStart, 2)} → ${fixed(l.loadEnd, 2)}`,
      ]),
      ['l'],
    ),
    '',
    '### Versions',
    '',
    table(
      ['package', 'version'],
      Object.entries(versions)
        .filter(([k]) => k !== 'commit')
        .map(([k, v]) => [k, v]),
      ['l', 'l'],
    ),
  ]
  return lines.join('\n')
}

function targetsSection(results) {
  const rows = checkTargets(results, { times, mib })
  return [
    '## Targets',
    '',
    table(
      ['target', 'measured', 'met'],
      rows.map((r) => [r.target, r.measured, r.met === null ? '–' : r.met ? 'yes' : '**no**']),
      ['l', 'l', 'l'],
    ),
  ].join('\n')
}

function clientsSection(clients, size, chartPath) {
  if (clients === undefined) return '## Clients\n\nNot run (`--sections`).'
  const header = [
    'client',
    'req/s',
    'CPU µs/req',
    'p50 ms',
    'p99 ms',
    'upstream connections',
    'req/s vs Pool.request',
    'CPU vs Pool.request',
    'req/s vs floor',
    'CPU vs floor',
    'errors',
  ]
  const rows = clients.rows.map((r) => [
    r.label,
    int(r.rps),
    fixed(r.cpuUsPerReq),
    fixed(r.p50, 2),
    fixed(r.p99, 2),
    `${int(r.connections)} (${fixed(r.connectionsPer1k, 1)}/1k req)`,
    times(r.ratios['undici-request']?.rps),
    times(r.ratios['undici-request']?.cpu),
    times(r.ratios['undici-dispatch']?.rps),
    times(r.ratios['undici-dispatch']?.cpu),
    r.errors === 0 ? '0' : `${r.errors}: ${r.firstError}`,
  ])
  return [
    '## Clients',
    '',
    `![req/s by client](${chartPath})`,
    '',
    `${size.rounds} rounds; in each, every client runs for ${size.roundMs} ms (at most ${int(size.maxRequestsPerRun)} requests,`,
    `${int(size.maxIsolatedPerRun)} for a pool per call) in an order rotated by one each round. Each value is the median over`,
    'rounds; each ratio is the median of the same-round ratios. CPU is the client process’s user + system time',
    '(`process.cpuUsage`, every thread) divided by its requests; the upstream runs in another process.',
    'Upstream connections are those the upstream accepted for the client over the whole run, warm-up included,',
    'and per 1000 requests in the measured rounds.',
    '',
    table(header, rows, ['l']),
  ].join('\n')
}

const kIr = (v) => (Number.isFinite(v) ? `${(v / 1000).toFixed(1)}k` : 'n/a')

function instructionsSection(instructions, clients, size) {
  if (instructions === undefined) return '## Instructions per request\n\nNot run (`--sections`).'
  if (instructions.skipped) {
    return [
      `## Instructions per request\n\n**Skipped**: ${instructions.skipped}.`,
      ...featureTables(instructions),
    ].join('\n')
  }
  const inflights = size.callgrind.inflight
  const cell = (m) => {
    if (m === undefined) return '–'
    if (m.irPerReq === undefined) return m.unavailable ?? m.failed ?? 'n/a'
    const ratio = Number.isFinite(m.vsBaseline) && m.vsBaseline !== 1 ? ` (${times(m.vsBaseline)})` : ''
    return `${kIr(m.irPerReq)}${ratio}`
  }
  const nativeRow = (name) => clients?.rows.find((r) => r.name === name)
  const native = (name) => {
    const r = nativeRow(name)
    if (r === undefined) return '–'
    const ratio = r.ratios['undici-dispatch']?.cpu
    return `${fixed(r.cpuUsPerReq)}${name !== 'undici-dispatch' && Number.isFinite(ratio) ? ` (${times(ratio)})` : ''}`
  }
  const spread = (row) =>
    Object.values(row.byInflight)
      .map((m) => (Number.isFinite(m.spread) ? `${(m.spread * 100).toFixed(1)}%` : '–'))
      .join(' / ')
  const lines = [
    '## Instructions per request',
    '',
    `Instructions (callgrind's Ir) per request, each client in its own \`valgrind --tool=callgrind\` process; method: ${instructions.method}.`,
    'Counts are every thread of the client process (GC and the JIT included), none of the upstream (another process,',
    `\`node:http\`, a 217-byte JSON body, keep-alive, ${size.connections} connections). Ratios are to the floor at the same concurrency.`,
    "Native CPU is the clients section's (16 in flight, not under valgrind). Spread: (max − min) / median of the steady segments.",
    '',
    table(
      ['client', ...inflights.map((n) => `${n} in flight`), 'native CPU µs/req, 16 in flight', 'spread'],
      instructions.clients.map((row) => [
        row.label,
        ...inflights.map((n) => cell(row.byInflight[n])),
        native(row.name),
        spread(row),
      ]),
      ['l'],
    ),
  ]
  if (instructions.probes?.length > 0) {
    lines.push(
      '',
      '### Where the app client’s instructions go (probes)',
      '',
      'The floor with one of the app client’s costs added, 16 in flight: the difference is that cost. Under',
      'valgrind a process runs some 50× slower, so a wall-clock timer fires some 50× more often per request',
      'than natively: the timer probe overstates its native share by about that factor.',
      '',
      table(
        ['probe', 'instructions/request', 'over the floor', 'vs floor'],
        instructions.probes.map((row) => {
          const m = row.byInflight[16] ?? {}
          return [row.label, kIr(m.irPerReq), kIr(m.overFloor), times(m.vsBaseline)]
        }),
        ['l'],
      ),
      ...leftOver(instructions),
    )
  }
  lines.push(...featureTables(instructions))
  return lines.join('\n')
}

/**
 * What the app client costs over the floor, split by the probes of the same run: the request it
 * sends (its default headers, which undici validates and writes on every request), the response
 * object and second promise of the API, and what is left, Mooring's own work per call.
 */
function leftOver(instructions) {
  const at16 = (name, list = instructions.clients) => list.find((r) => r.name === name)?.byInflight[16]
  const floor = at16('undici-dispatch')?.irPerReq
  const app = at16('mooring-app')?.irPerReq
  const headers = at16('probe-headers', instructions.probes)?.irPerReq
  const response = at16('probe-response', instructions.probes)?.irPerReq
  if (![floor, app, headers, response].every(Number.isFinite)) return []
  const over = app - floor
  const own = over - (headers - floor) - (response - floor)
  return [
    '',
    `At 16 in flight the app client counts ${kIr(over)} instructions per request over the floor. Of those,`,
    `${kIr(headers - floor)} are its two default headers, which undici validates (a regular expression per value)`,
    `and writes on every request, and ${kIr(response - floor)} are the shape of its API (a response object, then \`json()\``,
    `as a second promise), which the floor has not. What is left, ${kIr(own)} (${((own / floor) * 100).toFixed(1)}% of the floor),`,
    "is Mooring's own work per call: the plan, the Call (deadlines, retry state, in-flight lists), the response's",
    `bookkeeping. Against the floor sending the same request, the app client is ${times(app / headers)}.`,
    'Function by function (`node bench/callgrind/attribute.mjs mooring-app`) that remainder is spread thin, no',
    'function of Mooring above half a thousand: what would remove it, and what each step gained, is in',
    'bench/README.md (Round three). The headers are the feature (a `user-agent`; `accept-encoding` because',
    'decoding is on by default); `headers: { "user-agent": null }` and `decompress: false` turn them off.',
  ]
}

/** A feature row's count; under `--quick` the variant runs natively and is not counted. */
function featureCount(m) {
  if (m === undefined) return '–'
  if (m.smoke) return `not counted (--quick: ${int(m.requests)} requests natively, check passed)`
  if (m.irPerReq === undefined) return m.unavailable ?? m.failed ?? 'n/a'
  return kIr(m.irPerReq)
}

/** The baseline of both feature tables, and how far apart its counts were. */
function baselineNote(baseline) {
  if (!baseline) return []
  return [
    `"Not configured" is the mean of ${baseline.counts.length} counts of that client, each in its own process (${baseline.counts.map(kIr).join(', ')}:`,
    `${(baseline.spread * 100).toFixed(1)}% apart). A difference from it smaller than that is within the noise between processes.`,
  ]
}

const featureRatio = (m) => (m?.smoke ? '–' : times(m?.vsBaseline))

/** Signed thousands of instructions: what a feature adds over the client with nothing configured. */
const kIrDelta = (v) =>
  Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${(Math.abs(v) / 1000).toFixed(1)}k` : '–'

/** "Features off" and "Features on": the app client with each feature configured off, then on, against nothing configured. */
function featureTables(instructions) {
  const off = instructions.features ?? []
  const on = instructions.featuresOn ?? []
  const pending = instructions.pending ?? []
  const pendingOn = instructions.pendingOn ?? []
  const lines = []
  if (off.length > 0 || pending.length > 0) {
    lines.push(
      '',
      '### Features off',
      '',
      'The app client with each feature configured off, against the same client with nothing configured (16 in flight).',
      'Where core has no option, "off" is what turns the feature off: for context capture, nothing observing (core',
      'captures a call’s context only for a hook, a `mooring:*` or `undici:request:create` subscriber, or the app’s',
      'interceptors), which is the client with nothing configured, counted again in its own process; for metrics,',
      '`instrumentMooring({ metrics: false })` with the SDK registered, and `instrumentMooring()` with no SDK.',
      'A feature whose option core does not take yet is listed as pending.',
      ...baselineNote(instructions.baseline),
      '',
      table(
        ['feature off', 'instructions/request', 'over not configured', 'vs not configured'],
        [
          ...off.map((row) => [
            row.label,
            featureCount(row.byInflight[16]),
            kIrDelta(row.byInflight[16]?.overBaseline),
            featureRatio(row.byInflight[16]),
          ]),
          ...pending.map((p) => [p.label, `pending: ${p.why}`, '–', '–']),
        ],
        ['l', 'l', 'r', 'r'],
      ),
    )
  }
  if (on.length > 0 || pendingOn.length > 0) {
    lines.push(
      '',
      '### Features on',
      '',
      'What each feature costs when it is on: the app client with a minimal configuration that the feature acts on in',
      'every call, against the client with nothing configured calling the plain `/json` (16 in flight). Where the',
      'feature needs something of the upstream, the call goes to a path that answers the same 217-byte JSON with it:',
      '`/json.gz` gzipped, `/json.cached` with `cache-control: public, max-age=86400`, `/json.cookie` with a',
      '`set-cookie`. Each variant checks after its load, past the last mark, that the feature did act on the calls',
      '(cache hits or misses counted, the cookie sent back, the hook called, durations recorded, gzip received).',
      '',
      table(
        [
          'feature',
          'configuration',
          'what it measures',
          'instructions/request',
          'over not configured',
          'vs not configured',
        ],
        [
          ...on.map((row) => {
            const m = row.byInflight[16]
            const [, config] = row.label.split(/: (.*)/s)
            return [
              row.feature,
              config,
              row.measures,
              featureCount(m),
              kIrDelta(m?.overBaseline),
              featureRatio(m),
            ]
          }),
          ...pendingOn.map((p) => [p.label, '', '', `pending: ${p.why}`, '–', '–']),
        ],
        ['l', 'l', 'l', 'l', 'r', 'r'],
      ),
    )
  }
  return lines
}

function frameworksSection(frameworks, size, chartPath, method) {
  if (frameworks === undefined) return '## Through the frameworks\n\nNot run (`--sections`).'
  const rows = []
  const missing = []
  for (const f of frameworks) {
    if (f.rows === undefined) {
      missing.push(`- ${f.label}: left out: ${f.unavailable}`)
      continue
    }
    for (const r of f.rows) {
      rows.push([
        f.label,
        r.label,
        fixed(r.cpuUsPerReq),
        times(r.cpuVsHand),
        int(r.rps),
        times(r.rpsVsHand),
        fixed(r.p50, 2),
        fixed(r.p99, 2),
        int(r.connections),
        int(r.failed),
      ])
    }
  }
  return [
    '## Through the frameworks',
    '',
    rows.length > 0 ? `![req/s by framework](${chartPath})\n` : '',
    `Load: ${method ?? 'autocannon'}, ${size.concurrency} connections, against \`GET /proxy\` of an app in its own process, which calls the`,
    `upstream once and returns its JSON. ${size.frameworkRounds} rounds of ${size.frameworkSeconds} s per route, order rotated each round;`,
    'medians, and medians of same-round ratios to the handwritten route (undici `Pool.request` + `body.json()`).',
    'Server CPU is the app process’s user + system time per request (the headline: req/s and latency also',
    'depend on the load generator and the upstream sharing the other core). Upstream connections: opened',
    'during the measured rounds. Failed: non-2xx, connect errors and timeouts.',
    '',
    rows.length > 0
      ? table(
          [
            'framework',
            'route',
            'server CPU µs/req',
            'CPU vs hand',
            'req/s',
            'req/s vs hand',
            'p50 ms',
            'p99 ms',
            'upstream conns',
            'failed',
          ],
          rows,
          ['l', 'l'],
        )
      : '',
    missing.length > 0 ? `\n${missing.join('\n')}` : '',
    ...frameworkNotes(frameworks),
  ].join('\n')
}

/**
 * What a plugin route costs over the handwritten one, split by the rows of the same run: app scope
 * is the client (cheaper than `Pool.request` + `body.json()`, see the instructions section),
 * request scope adds a scope per request, and `context: true` adds AsyncLocalStorage.
 */
function frameworkNotes(frameworks) {
  const lines = []
  for (const f of frameworks) {
    const row = (name) => f.rows?.find((r) => r.name === name)
    const app = row('app')
    const request = row('request')
    const context = row('request-context')
    const param = row('request-param')
    if (app === undefined || request === undefined) continue
    const parts = [
      `request scope over app scope ${signedUs(request.cpuUsPerReq - app.cpuUsPerReq)} (${times(request.cpuUsPerReq / app.cpuUsPerReq)})`,
    ]
    if (context !== undefined)
      parts.push(
        `\`context: true\` (AsyncLocalStorage) over request scope ${signedUs(context.cpuUsPerReq - request.cpuUsPerReq)} (${times(context.cpuUsPerReq / request.cpuUsPerReq)})`,
      )
    if (param !== undefined)
      parts.push(
        `\`@RequestClient()\` (no context) over app scope ${signedUs(param.cpuUsPerReq - app.cpuUsPerReq)} (${times(param.cpuUsPerReq / app.cpuUsPerReq)})`,
      )
    lines.push(`- ${f.label}: ${parts.join('; ')}.`)
  }
  if (lines.length === 0) return []
  return [
    '',
    'Server CPU per request, split by the rows above (same run, medians):',
    '',
    ...lines,
    '',
    'A scope costs about 25 ns to open and close (measured alone, 2M times), so what request scope adds',
    'over app scope is within the rounds’ noise (a few percent on two shared cores). What',
    '`context: true` adds is AsyncLocalStorage: on Node 20 entering it turns on promise hooks for the',
    'whole process, on Node 24 (AsyncContextFrame) it is cheap. Express, Fastify and Hono leave it off',
    'unless `context: true` (handlers read `req.http`, `request.http`, `c.var.http`); Nest keeps it on by',
    "default, because `@InjectClient()` finds the request's client through it: Nest's request-scope row",
    'is the one that carries it.',
  ]
}

function signedUs(v) {
  return Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)} µs` : 'n/a'
}

function memorySection(memory, size) {
  if (memory === undefined) return '## Memory and handles\n\nNot run (`--sections`).'
  const a = memory['mooring-scope']
  const b = memory['undici-request']
  const row = (label, f) => [label, f(a), f(b)]
  return [
    '## Memory and handles',
    '',
    `${int(a.count)} request scopes, each created, used for one request and closed (${size.concurrency} at once), after a`,
    'warm-up, in a fresh process; the same number of plain undici requests in',
    'another fresh process is the control (what the runtime grows by anyway). Memory after `gc()` passes.',
    'Sockets: `process.getActiveResourcesInfo()` (which lists only handles that keep the loop alive: undici',
    'unrefs idle sockets), and the connections the upstream still sees open after the client closed.',
    '',
    table(
      ['', 'Mooring scopes', 'plain undici (control)'],
      [
        row('requests', (m) => int(m.count)),
        row('errors', (m) => int(m.errors)),
        row('heap used before → after', (m) => `${mib(m.before.heapUsed)} → ${mib(m.after.heapUsed)}`),
        row('heap growth', (m) => mib(m.heapGrowth)),
        row('RSS before → after', (m) => `${mib(m.before.rss)} → ${mib(m.after.rss)}`),
        row('RSS growth', (m) => mib(m.rssGrowth)),
        row('in flight at the end', (m) => int(m.inFlightAfter)),
        row('active handles, client open', (m) => handlesText(m.handlesOpen)),
        row('active handles after close', (m) => handlesText(m.handlesAfterClose)),
        row('connections open at the upstream after close', (m) => int(m.upstreamOpenAfterClose)),
      ],
      ['l', 'l', 'l'],
    ),
  ].join('\n')
}

function retrySection(retry) {
  if (retry === undefined) return '## Retry cost\n\nNot run (`--sections`).'
  if (retry.rows.length < 2) {
    const why = retry.unavailable.map((c) => `${c.label}: ${c.unavailable}`).join('; ')
    return `## Retry cost\n\n**Not measured** (slot kept): ${why}`
  }
  return [
    '## Retry cost',
    '',
    'The retry layer on a healthy upstream: the app client with `retry: false` against the same with the',
    'default policy, same rounds as the client table. Ratios are to `retry: false`.',
    '',
    table(
      ['client', 'req/s', 'CPU µs/req', 'p50 ms', 'p99 ms', 'req/s vs retry: false', 'CPU vs retry: false'],
      retry.rows.map((r) => [
        r.label,
        int(r.rps),
        fixed(r.cpuUsPerReq),
        fixed(r.p50, 2),
        fixed(r.p99, 2),
        times(r.ratios['mooring-retry-off']?.rps),
        times(r.ratios['mooring-retry-off']?.cpu),
      ]),
      ['l'],
    ),
  ].join('\n')
}

function featuresSection(features) {
  if (features === undefined) return '## Feature cost\n\nNot run (`--sections`).'
  if (features.rows.length < 2) {
    const why = features.unavailable.map((c) => `${c.label}: ${c.unavailable}`).join('; ')
    return `## Feature cost\n\n**Not measured** (slot kept): ${why}`
  }
  return [
    '## Feature cost',
    '',
    'Decompression (on by default) on an uncompressed JSON answer, and a rate limit that is never reached,',
    'against the app client with `decompress: false`; same rounds as the client table. Ratios are to it.',
    '',
    table(
      ['client', 'req/s', 'CPU µs/req', 'p50 ms', 'p99 ms', 'req/s vs plain', 'CPU vs plain'],
      features.rows.map((r) => [
        r.label,
        int(r.rps),
        fixed(r.cpuUsPerReq),
        fixed(r.p50, 2),
        fixed(r.p99, 2),
        times(r.ratios['mooring-plain']?.rps),
        times(r.ratios['mooring-plain']?.cpu),
      ]),
      ['l'],
    ),
  ].join('\n')
}

export function clientsChart(clients) {
  return barChart({
    title: 'Client throughput against a keep-alive upstream on 127.0.0.1',
    unit: 'requests per second (median)',
    groups: [
      {
        bars: clients.rows.map((r) => ({
          label: r.label,
          value: r.rps,
          highlight: r.name.startsWith('mooring'),
        })),
      },
    ],
  })
}

export function frameworksChart(frameworks) {
  return barChart({
    title: 'Routes calling the upstream',
    unit: 'requests per second (median)',
    seriesColors: true,
    groups: frameworks
      .filter((f) => f.rows !== undefined)
      .map((f) => ({ label: f.label, bars: f.rows.map((r) => ({ label: r.label, value: r.rps })) })),
  })
}

/** The whole RESULTS.md. */
export function renderResults(run) {
  return [
    '# Mooring benchmarks',
    '',
    `Written by \`pnpm bench\`${run.quick ? ' --quick' : ''}; do not edit by hand. What is measured and how: [README.md](${run.readmePath}).`,
    '',
    targetsSection(run.results),
    '',
    instructionsSection(run.results.instructions, run.results.clients, run.size),
    '',
    clientsSection(run.results.clients, run.size, run.charts.clients),
    '',
    frameworksSection(run.results.frameworks, run.size, run.charts.frameworks, run.frameworkMethod),
    '',
    memorySection(run.results.memory, run.size),
    '',
    retrySection(run.results.retry),
    '',
    featuresSection(run.results.features),
    '',
    machineSection(run),
    '',
  ].join('\n')
}
