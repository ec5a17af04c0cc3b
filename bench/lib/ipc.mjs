// Parent and child sides of the small request/response protocol every benchmark process speaks over
// the fork IPC channel: `{ id, cmd, payload }` in, `{ id, ok, result | error }` out. Every wait is
// bounded, and a child that dies fails whatever was waiting on it.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Flags every benchmark child gets: `gc()` between measurements, and resolution from another package. */
export const CHILD_FLAGS = ['--expose-gc', '--experimental-import-meta-resolve']

/**
 * Forks `module` and resolves once it sent `{ ready: true, ... }`.
 * @param {URL} module
 * @param {{ args?: string[], execArgv?: string[], execPath?: string, name?: string, readyTimeoutMs?: number }} [options]
 */
export async function startChild(module, options = {}) {
  const name = options.name ?? fileURLToPath(module)
  const child = fork(fileURLToPath(module), options.args ?? [], {
    execArgv: [...CHILD_FLAGS, ...(options.execArgv ?? [])],
    execPath: options.execPath ?? process.execPath,
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  })
  // Passed through, and the tail kept: a child that dies says why in its error.
  let stderrTail = ''
  child.stderr.on('data', (chunk) => {
    process.stderr.write(chunk)
    stderrTail = (stderrTail + chunk).slice(-4096)
  })
  const waiting = new Map()
  let nextId = 1
  let exitError = null
  let onReady = null
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      const cause = stderrTail
        .split('\n')
        .findLast((line) => /^\w*Error\b/.test(line))
        ?.trim()
      exitError = new Error(`${name} exited (${signal ?? code})${cause ? `: ${cause}` : ''}`)
      for (const { reject } of waiting.values()) reject(exitError)
      waiting.clear()
      onReady?.reject(exitError)
      resolve(code)
    })
  })
  child.on('message', (message) => {
    if (message?.ready === true) {
      onReady?.resolve(message)
      return
    }
    const pending = waiting.get(message?.id)
    if (pending === undefined) return
    waiting.delete(message.id)
    if (message.ok) pending.resolve(message.result)
    else pending.reject(new Error(`${name}: ${message.error}`))
  })
  const ready = await withTimeout(
    new Promise((resolve, reject) => {
      onReady = { resolve, reject }
    }),
    options.readyTimeoutMs ?? 30_000,
    `${name} did not start`,
  ).catch((err) => {
    child.kill()
    throw err
  })
  onReady = null

  /** Sends `cmd` and resolves with the child's answer. */
  function call(cmd, payload, timeoutMs = 120_000) {
    if (exitError !== null) return Promise.reject(exitError)
    const id = nextId++
    const answer = new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject })
      child.send({ id, cmd, payload })
    })
    return withTimeout(answer, timeoutMs, `${name}: ${cmd} took over ${timeoutMs} ms`).finally(() =>
      waiting.delete(id),
    )
  }

  /** Asks the child to close, and kills it if it has not exited within `timeoutMs`. */
  async function close(timeoutMs = 10_000) {
    if (exitError === null) await call('close', undefined, timeoutMs).catch(() => {})
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    await exited
    clearTimeout(timer)
  }

  return { ready, call, close, exited, pid: child.pid }
}

/**
 * Child side: answers the parent's commands with `handlers[cmd](payload)`, then says it is ready.
 * `close` is always understood: it runs `handlers.close` if any, answers, and exits.
 */
export function serve(handlers, readyInfo = {}) {
  process.on('message', async (message) => {
    if (typeof message?.id !== 'number') return
    const { id, cmd, payload } = message
    try {
      const handler = handlers[cmd]
      if (handler === undefined && cmd !== 'close') throw new Error(`unknown command ${cmd}`)
      const result = handler === undefined ? null : await handler(payload)
      process.send({ id, ok: true, result: result ?? null }, () => {
        if (cmd === 'close') process.exit(0)
      })
    } catch (err) {
      process.send({ id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) })
    }
  })
  process.on('disconnect', () => process.exit(0))
  process.send({ ready: true, ...readyInfo })
}

/** `promise`, or a rejection with `message` after `ms`. */
export function withTimeout(promise, ms, message) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
