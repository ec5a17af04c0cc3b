import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The Redis the tests use: a `redis-server` of our own on a free port of 127.0.0.1 (which the
 * fault tests kill, stop and restart), or none. Without the binary the Redis tests are skipped
 * with the reason printed; with `CI` set that is a failure instead, so CI always runs them.
 */
export const redisServerBinary = findBinary()

export function redisSkipReason(): string | undefined {
  if (redisServerBinary !== undefined) return undefined
  const reason =
    '@mooring/redis: the Redis tests were skipped: no redis-server on PATH or in /usr/bin (install it: apt-get install redis-server)'
  if (process.env.CI) throw new Error(`${reason}; CI is set, so this fails instead`)
  console.warn(reason)
  return reason
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

export async function startRedisServer(): Promise<RedisServer> {
  if (redisServerBinary === undefined) throw new Error('redis-server is not installed')
  const binary = redisServerBinary
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'mooring-redis-'))
  let child: ChildProcess | undefined
  const launch = async () => {
    const started = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    )
    child = started
    // Bounded: 100 tries of 50 ms.
    for (let i = 0; i < 100; i++) {
      if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode}`)
      if (await answersPing(port)) return
      await sleep(50)
    }
    throw new Error(`redis-server did not answer on port ${port} within 5 s`)
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
