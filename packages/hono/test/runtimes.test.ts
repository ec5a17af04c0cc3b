import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sleep } from '../../core/test/support/async.js'
import { startUpstream, type Upstream } from '../../core/test/support/upstream.js'

// The Hono app of runtimes/app.ts, bundled from the sources and served by Bun, Deno and workerd
// (their binaries come from the npm packages `bun`, `deno` and `workerd`), calling a node:http
// upstream on 127.0.0.1 through @mooring/hono. On Bun and workerd core goes through the runtime's
// fetch, on Deno through undici.

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const repo = here('../../../')
const alias = {
  '@mooring/core': join(repo, 'packages/core/src/index.ts'),
  '@mooring/hono': join(repo, 'packages/hono/src/index.ts'),
}

interface Runtime {
  name: 'bun' | 'deno' | 'workerd'
  binary: string
  /** What a pool-only option (`limits`) fails with there: the runtime named, or null (undici path). */
  refusesLimits: RegExp | null
  /**
   * `c.req.raw.signal` fires when the downstream client goes away. workerd 2026-11 does not fire
   * it (not with `enable_request_signal` either): the call runs to its own timeout there.
   */
  signalsDisconnect: boolean
  /**
   * How a refused connection is reported. workerd words it as it words a connection lost
   * mid-request ("Network connection lost."), so there it cannot be called not-sent.
   */
  refused: { causeCode: string; delivery: 'not-sent' | 'maybe'; attempts: number }
  /** Bundles the app for the runtime into `dir`, returns the command line and the port it serves. */
  prepare(dir: string, upstream: string): Promise<{ args: string[]; port?: number; env?: object }>
}

const NOT_SENT = { causeCode: 'ECONNREFUSED', delivery: 'not-sent', attempts: 2 } as const

const RUNTIMES: Runtime[] = [
  {
    name: 'bun',
    binary: join(repo, 'node_modules/bun/bin/bun.exe'),
    refusesLimits: /^limits: expected no value on Bun, where requests go through the runtime's fetch/,
    signalsDisconnect: true,
    refused: NOT_SENT,
    async prepare(dir, upstream) {
      // `undici` left to Bun, which answers it with its own shim, as it does for a user's app.
      const file = await bundle('bun', dir, { platform: 'node', external: ['undici'] })
      return { args: [file], env: { UPSTREAM: upstream } }
    },
  },
  {
    name: 'deno',
    binary: join(repo, 'node_modules/deno/deno'),
    refusesLimits: null,
    signalsDisconnect: true,
    refused: NOT_SENT,
    async prepare(dir, upstream) {
      const file = await bundle('deno', dir, { platform: 'node', banner: { js: REQUIRE_BANNER } })
      return {
        args: ['run', '--allow-net=127.0.0.1', '--allow-env', '--allow-read', '--allow-sys', file],
        env: { UPSTREAM: upstream, NO_COLOR: '1' },
      }
    },
  },
  {
    name: 'workerd',
    binary: join(repo, 'node_modules/workerd/bin/workerd'),
    refusesLimits: /^limits: expected no value on Cloudflare Workers \(workerd\)/,
    signalsDisconnect: false,
    refused: { causeCode: 'ECONNRESET', delivery: 'maybe', attempts: 1 },
    async prepare(dir, upstream) {
      await bundle('worker', dir, {
        platform: 'node',
        plugins: [nodeBuiltinsForWorkerd],
        conditions: ['workerd'],
      })
      const port = await freePort()
      await writeFile(join(dir, 'worker.capnp'), workerdConfig(port, upstream))
      return { args: ['serve', join(dir, 'worker.capnp'), '--experimental'], port }
    },
  },
]

/** Deno runs esbuild's ESM output of CommonJS dependencies (undici) with a `require` of its own. */
const REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"

async function bundle(entry: string, dir: string, options: Parameters<typeof build>[0]): Promise<string> {
  const outfile = join(dir, `${entry}.mjs`)
  await build({
    entryPoints: [here(`./runtimes/${entry}.ts`)],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    outfile,
    alias,
    logLevel: 'silent',
    ...options,
  })
  return outfile
}

/**
 * workerd has node: builtins as ES modules only: a CommonJS `require('node:net')` (undici's) becomes
 * an import of the module's default export, as wrangler's own bundling does.
 */
const nodeBuiltinsForWorkerd: Plugin = {
  name: 'node-builtins-for-workerd',
  setup(b) {
    const builtins = new Set(builtinModules)
    b.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '')
      if (!builtins.has(name)) return undefined
      const path = `node:${name}`
      return args.kind === 'require-call' ? { path, namespace: 'node-require' } : { path, external: true }
    })
    b.onLoad({ filter: /.*/, namespace: 'node-require' }, (args) => ({
      contents: `import m from '${args.path}'; module.exports = m;`,
      loader: 'js',
    }))
  },
}

function workerdConfig(port: number, upstream: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .app),
    # Workers reach only public addresses by default; the upstream is on 127.0.0.1.
    (name = "loopback", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const app :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.mjs") ],
  compatibilityDate = "2026-11-01",
  compatibilityFlags = ["nodejs_compat", "enable_request_signal"],
  bindings = [ (name = "UPSTREAM", text = "${upstream}") ],
  globalOutbound = "loopback",
);
`
}

/** Polls `check` (sync or async) every 20 ms until it is true; fails naming `what` after `timeoutMs`. */
async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

let upstream: Upstream
const flaky = new Map<string, number>()
/** Per runtime: the upstream saw its `/hang` request go away (the call was aborted). */
const hangClosed = new Set<string>()
beforeAll(async () => {
  upstream = await startUpstream(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream')
    const key = url.searchParams.get('key') ?? ''
    if (url.pathname === '/echo') {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ requestId: req.headers['x-request-id'] ?? null }))
    } else if (url.pathname === '/slow') {
      await sleep(1_500)
      res.end('late')
    } else if (url.pathname === '/flaky') {
      const n = (flaky.get(key) ?? 0) + 1
      flaky.set(key, n)
      res.statusCode = n === 1 ? 503 : 200
      res.end(n === 1 ? 'busy' : 'ok')
    } else if (url.pathname === '/hang') {
      // Never answers: only the caller going away ends it.
      res.once('close', () => hangClosed.add(key))
    } else {
      res.statusCode = 404
      res.end()
    }
  })
})
afterAll(() => upstream?.close())

for (const runtime of RUNTIMES) {
  const missing = existsSync(runtime.binary)
    ? null
    : `${runtime.binary} is missing (pnpm install runs the ${runtime.name} package's postinstall)`
  if (missing !== null) {
    if (process.env.CI) it(`${runtime.name} is installed`, () => expect.fail(missing))
    else it.skip(`${runtime.name}: ${missing}`, () => {})
    continue
  }

  describe(`@mooring/hono on ${runtime.name}`, () => {
    let child: ChildProcess
    let base: string
    let dir: string
    let output = ''

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), `mooring-${runtime.name}-`))
      const { args, port, env } = await runtime.prepare(dir, upstream.url)
      child = spawn(runtime.binary, args, { cwd: dir, env: { ...process.env, ...env }, stdio: 'pipe' })
      child.stdout?.on('data', (chunk) => (output += chunk))
      child.stderr?.on('data', (chunk) => (output += chunk))
      // Bun and Deno print the port they got; workerd serves the one its config names.
      await until(
        async () => {
          if (child.exitCode !== null) throw new Error(`${runtime.name} exited: ${output}`)
          const listening =
            /listening (\d+)/.exec(output)?.[1] ?? (port === undefined ? undefined : String(port))
          if (listening === undefined) return false
          base = `http://127.0.0.1:${listening}`
          return fetch(`${base}/stats`).then(
            (r) => r.ok,
            () => false,
          )
        },
        `${runtime.name} to serve`,
        15_000,
      ).catch((err: unknown) => {
        throw new Error(`${runtime.name} did not start: ${String(err)}\n${output}`)
      })
    }, 30_000)

    afterAll(async () => {
      if (child !== undefined && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        // workerd waits for requests in flight on SIGTERM; none should be, but never hang the suite.
        const forced = setTimeout(() => child.kill('SIGKILL'), 3_000)
        await exited
        clearTimeout(forced)
      }
      if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    })

    const get = async (path: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${base}${path}`, { headers })
      expect(response.status, `${path}: ${output}`).toBe(200)
      return response.json()
    }

    it('a call succeeds, with the inbound x-request-id propagated', async () => {
      const requestId = `rt-${runtime.name}`
      expect(await get('/api/call', { 'x-request-id': requestId })).toEqual({
        status: 200,
        upstream: { requestId },
      })
      const seen = upstream.requests.filter((r) => r.headers['x-request-id'] === requestId)
      expect(seen).toHaveLength(1)
    })

    it("a request's deadline fires as a TimeoutError, again on a later request", async () => {
      // Twice: on workerd a timer dies with the request that set it.
      for (let i = 0; i < 2; i++) {
        expect(await get('/deadline')).toEqual({
          error: {
            name: 'TimeoutError',
            code: 'MOORING_TIMEOUT',
            phase: 'total',
            delivery: 'maybe',
            attempts: 1,
          },
        })
      }
    })

    it('a 503 is retried', async () => {
      expect(await get(`/api/retry?key=${runtime.name}`)).toEqual({ status: 200, attempts: 2, body: 'ok' })
      expect(flaky.get(runtime.name)).toBe(2)
    })

    it("each request's scope is closed once its response is done", async () => {
      await get('/api/call')
      const stats = await get('/stats')
      expect(stats.lastScopeClosed).toBe(true)
      expect(stats.http.scopesOpened).toBeGreaterThanOrEqual(3)
      expect(stats.http.scopesClosed).toBe(stats.http.scopesOpened)
      expect(stats.tight.scopesClosed).toBe(stats.tight.scopesOpened)
      expect(stats.http.inFlight).toBe(0)
    })

    it(`a downstream disconnect ends the call ${runtime.signalsDisconnect ? 'at once, through c.req.raw.signal' : 'at its own timeout'}`, async () => {
      const key = `hang-${runtime.name}`
      const before = upstream.requests.length
      const controller = new AbortController()
      const pending = fetch(`${base}/api/hang?key=${key}`, { signal: controller.signal }).catch(() => null)
      await until(
        () => upstream.requests.slice(before).some((r) => r.url.includes(key)),
        'the upstream to get the call',
        5_000,
      )
      controller.abort()
      await pending
      const abortedAt = Date.now()
      await until(() => hangClosed.has(key), 'the call to be aborted', 6_000)
      // The call's own total timeout is 3 s: ending well before it is the signal's doing.
      if (runtime.signalsDisconnect) expect(Date.now() - abortedAt).toBeLessThan(2_500)
      await until(async () => (await get('/stats')).http.inFlight === 0, 'nothing in flight', 5_000)
    })

    it(`a refused connection is a ConnectionError, ${runtime.refused.delivery}`, async () => {
      expect(await get(`/refused?port=${await freePort()}`)).toEqual({
        error: { name: 'ConnectionError', code: 'MOORING_CONNECTION', ...runtime.refused },
      })
    })

    it('close() resolves, and the closed client refuses calls', async () => {
      expect(await get('/close')).toEqual({ closed: true, after: 'ClientClosedError' })
    })

    if (runtime.name === 'workerd') {
      it("hands each request scope's teardown to executionCtx.waitUntil", async () => {
        const before = (await get('/wait-until')).waitedFor
        await get('/api/call')
        expect((await get('/wait-until')).waitedFor).toBe(before + 1)
      })
    }

    it('a pool-only option is refused where there is no pool of its own', async () => {
      const { error } = await get('/config')
      if (runtime.refusesLimits === null) expect(error).toBeNull()
      else expect(error).toMatch(runtime.refusesLimits)
    })
  })
}
