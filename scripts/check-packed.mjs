// What a user gets from the registry, tried outside the workspace: every package packed
// (`pnpm pack`), installed with npm into a clean app in a temporary directory, the README's samples
// copied in as they are, typechecked (`nodenext`, strict) and run on Node 20 and Node 24 against a
// local fake TMDB. Fails on any npm warning, type error, wrong answer or process left running.
// Needs `pnpm build` first. Run: pnpm check:packed (about a minute, most of it npm install).
import { spawn, spawnSync } from 'node:child_process'
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startFakeTmdb } from '../examples/fake-tmdb/index.mjs'

const root = fileURLToPath(new URL('../', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'mooring-packed-'))
const tarballs = join(work, 'tarballs')
const app = join(work, 'app')
// A user's npm, not the one `pnpm check:packed` runs under: pnpm passes its own settings down as
// npm_config_* variables, which npm then warns about as unknown.
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(npm_|pnpm_)/i.test(name)),
)
const quiet = {
  ...userEnv,
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', env: quiet, ...options })
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`,
    )
  }
  return result
}

/** `run` for a child that talks to the fake TMDB of this process, whose loop must keep turning. */
function runAsync(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: quiet, ...options })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}\n${output}`)),
    )
  })
}

function step(text) {
  console.log(`check-packed: ${text}`)
}

// 1. Pack every package as the registry would get it.
mkdirSync(tarballs, { recursive: true })
const packages = readdirSync(join(root, 'packages'))
for (const name of packages)
  run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(root, 'packages', name) })
const packed = readdirSync(tarballs).map((file) => join(tarballs, file))
step(`packed ${packed.length} packages in ${tarballs}`)

// 2. A clean ESM app that installs them with npm, with the frameworks and tools a user adds.
mkdirSync(join(app, 'src'), { recursive: true })
mkdirSync(join(app, 'test'), { recursive: true })
writeFileSync(
  join(app, 'package.json'),
  `${JSON.stringify({ name: 'packed-check', private: true, type: 'module' }, null, 2)}\n`,
)
writeFileSync(
  join(app, 'tsconfig.json'),
  `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        outDir: 'dist',
        rootDir: '.',
        types: ['node'],
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: true,
      },
      include: ['src', 'test'],
    },
    null,
    2,
  )}\n`,
)
const dependencies = [
  ...packed,
  'express@5',
  'fastify@5',
  'hono@4',
  '@hono/node-server@1',
  '@nestjs/common@11',
  '@nestjs/core@11',
  '@nestjs/platform-express@11',
  '@nestjs/config@4',
  'reflect-metadata@0.2',
  'rxjs@7',
  'undici@7',
  'typescript@5.9',
  '@types/node@20',
  '@types/express@5',
  'vitest@4',
  // 6.6 is the last light-my-request on cookie 1: 6.7+ (cookie 2) warns EBADENGINE on Node 20.
  'light-my-request@~6.6.0',
]
const install = run('npm', ['install', '--no-package-lock', ...dependencies], { cwd: app })
const warnings = `${install.stdout}\n${install.stderr}`.split('\n').filter((line) => /npm warn/i.test(line))
if (warnings.length > 0) throw new Error(`npm install warned:\n${warnings.join('\n')}`)
step('npm install: no warning')

// 3. The README's samples, copied whole, and the Nest package README's whole samples.
const samples = ['express-app', 'fastify-app', 'hono-app', 'nest-app', 'core', 'from-fetch', 'from-undici']
for (const sample of samples)
  copyFileSync(join(root, `examples/readme/src/${sample}.ts`), join(app, `src/${sample}.ts`))
copyFileSync(join(root, 'examples/readme/test/testing.test.ts'), join(app, 'test/testing.test.ts'))
const nestReadme = readFileSync(join(root, 'packages/nest/README.md'), 'utf8')
// Every whole sample (one that starts with its imports; the rest are fragments of a file).
const nestSamples = [...nestReadme.matchAll(/```ts\n([\s\S]*?)\n```/g)]
  .map((m) => m[1])
  .filter((code) => code.startsWith('import '))
for (const [i, code] of nestSamples.entries()) writeFileSync(join(app, `src/nest-readme-${i + 1}.ts`), code)
run(join(app, 'node_modules/.bin/tsc'), ['-p', app])
step('tsc (nodenext, strict): the samples typecheck')

// 4. Run them, on Node 20 and Node 24.
const node24 = run('npx', ['-y', 'node@24', '-p', 'process.execPath']).stdout.trim()
const fake = await startFakeTmdb({})

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** Starts a sample server, asks it one search, then SIGTERM: it must answer, then exit by itself. */
async function serveOnce(node, sample) {
  const port = await freePort()
  const child = spawn(node, [join(app, `dist/src/${sample}.js`)], {
    cwd: app,
    env: { ...quiet, PORT: String(port), TMDB_BASE_URL: fake.baseUrl, TMDB_API_KEY: fake.apiKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  try {
    let answer
    for (let attempt = 0; attempt < 100 && answer === undefined; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      answer = await fetch(`http://127.0.0.1:${port}/movies/search?q=harbor`, {
        headers: { 'x-request-id': 'check' },
      })
        .then(async (res) => ({ status: res.status, body: await res.json() }))
        .catch(() => undefined)
    }
    if (answer?.status !== 200 || !Array.isArray(answer.body) || answer.body.length === 0) {
      throw new Error(`${sample}: expected 200 and a list of shows, got ${JSON.stringify(answer)}\n${output}`)
    }
    child.kill('SIGTERM')
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref())
    const exit = await Promise.race([exited, timeout])
    // Nest's shutdown hooks close the app, then re-raise the signal: an exit by SIGTERM after close.
    if (exit === 'timeout' || !(exit.code === 0 || exit.signal === 'SIGTERM')) {
      throw new Error(
        `${sample}: expected to exit by itself after SIGTERM, got ${JSON.stringify(exit)}\n${output}`,
      )
    }
    if (/warn|error/i.test(output)) throw new Error(`${sample}: printed\n${output}`)
  } finally {
    child.kill('SIGKILL')
  }
}

const library = `
  const { searchWorker } = await import('./dist/src/core.js')
  const { createTmdb, searchWithFetch, searchWithMooring } = await import('./dist/src/from-fetch.js')
  const { mooringTmdb, undiciTmdb } = await import('./dist/src/from-undici.js')
  const [baseUrl, key, origin] = process.argv.slice(1)
  const worker = searchWorker(baseUrl, key)
  const pages = [await worker.handle({ id: 'job-1', query: 'harbor' })]
  await worker.close()
  pages.push(await searchWithFetch(baseUrl, key, 'harbor'))
  const tmdb = createTmdb(baseUrl, key)
  pages.push(await searchWithMooring(tmdb, 'harbor'))
  await tmdb.close()
  for (const make of [mooringTmdb, undiciTmdb]) {
    const client = make(origin, key)
    pages.push(await client.search('harbor'))
    await client.close()
  }
  if (!pages.every((page) => page.results.length > 0)) throw new Error('a sample found nothing')
`
try {
  for (const node of [process.execPath, node24]) {
    const version = run(node, ['--version']).stdout.trim()
    for (const sample of ['express-app', 'fastify-app', 'hono-app', 'nest-app']) await serveOnce(node, sample)
    await runAsync(node, ['--input-type=module', '-e', library, fake.baseUrl, fake.apiKey, fake.origin], {
      cwd: app,
    })
    await runAsync(node, [join(app, 'node_modules/vitest/vitest.mjs'), 'run', '--root', app], { cwd: app })
    step(
      `Node ${version}: the four apps answer and exit on SIGTERM; core and migration samples run; the testing sample passes`,
    )
  }
} finally {
  await fake.close()
}

rmSync(work, { recursive: true, force: true })
step('all good')
