import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The Redis the tests use: a `redis-server` of our own on a free port of 127.0.0.1 (which the
 * fault tests kill, freeze and restart); else the one at `REDIS_URL` (keys under a prefix of this
 * run; the fault tests need their own and are skipped); else none. A skip prints its reason; with
 * `CI` set it is a failure instead, so CI always runs every Redis test.
 */
export const redisServerBinary = findBinary()
const externalUrl = process.env.REDIS_URL || undefined

function skipping(reason: string): string {
  if (process.env.CI) throw new Error(`${reason}; CI is set, so this fails instead`)
  console.warn(reason)
  return reason
}

/** Why the tests that need a Redis are skipped here, or undefined when they run. */
export function redisSkipReason(): string | undefined {
  if (redisServerBinary !== undefined || externalUrl !== undefined) return undefined
  return skipping(
    '@mooring/redis: the Redis tests were skipped: no redis-server on PATH or in /usr/bin and no REDIS_URL (install it: apt-get install redis-server)',
  )
}

/** Why the tests that kill, freeze and restart Redis are skipped here, or undefined when they run. */
export function redisFaultSkipReason(): string | undefined {
  if (redisServerBinary !== undefined) return undefined
  return skipping(
    '@mooring/redis: the Redis fault tests were skipped: they kill and restart a redis-server of their own, and there is no redis-server on PATH or in /usr/bin (apt-get install redis-server)',
  )
}

function findBinary(): string | undefined {
  for (const candidate of ['redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' })
    if (probe.status === 0) return candidate
  }
  return undefined
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

export interface RedisServer {
  readonly url: string
  readonly port: number
  /** Prefix for the keys of this run: empty on a server of our own, unique on a shared REDIS_URL. */
  readonly prefix: string
  /** SIGKILL, as a crash; resolves once the process is gone. */
  kill(): Promise<void>
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>
  /** SIGSTOP: the socket stays open and nothing answers (a Redis that is slow on every command). */
  freeze(): void
  /** SIGCONT after `freeze`. */
  thaw(): void
  stop(): Promise<void>
}

/** `args` are appended to the command line, e.g. `['--replicaof', '127.0.0.1', '6379']`. */
export async function startRedisServer(args: readonly string[] = []): Promise<RedisServer> {
  if (redisServerBinary === undefined && externalUrl !== undefined) return external(externalUrl)
  if (redisServerBinary === undefined) throw new Error('redis-server is not installed')
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'mooring-redis-'))
  let child: ChildProcess | undefined
  const launch = async () => {
    child = await spawnAnswering(
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...args,
      ],
      port,
    )
  }
  const kill = async () => {
    const running = child
    child = undefined
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGKILL')
    await exited
  }
  await launch()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    prefix: '',
    kill,
    restart: launch,
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
    async stop() {
      child?.kill('SIGCONT')
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Starts `redis-server` with `args` (a Redis or, with `--sentinel`, a Sentinel) and resolves once it
 * answers PING on `port` (bounded: 5 s, then it is killed and this rejects).
 */
export async function spawnAnswering(args: readonly string[], port: number): Promise<ChildProcess> {
  if (redisServerBinary === undefined) throw new Error('redis-server is not installed')
  const started = spawn(redisServerBinary, args, { stdio: 'ignore' })
  // Bounded: 100 tries of 50 ms.
  for (let i = 0; i < 100; i++) {
    if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode}`)
    if (await answersPing(port)) return started
    await sleep(50)
  }
  started.kill('SIGKILL')
  throw new Error(`redis-server did not answer on port ${port} within 5 s`)
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

/** The Redis at REDIS_URL: not ours to kill, so its keys of this run get a prefix of their own. */
function external(url: string): RedisServer {
  const notOurs = () => {
    throw new Error(
      'REDIS_URL is not a redis-server of this test run: it cannot be killed, frozen or restarted',
    )
  }
  return {
    url,
    port: 0,
    prefix: `mooring-test-${process.pid}-${Date.now().toString(36)}:`,
    kill: async () => notOurs(),
    restart: async () => notOurs(),
    freeze: notOurs,
    thaw: notOurs,
    stop: async () => {},
  }
}
