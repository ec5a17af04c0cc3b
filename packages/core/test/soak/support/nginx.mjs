// A real nginx (the system's, from Debian's package) on free ports of 127.0.0.1, with a prefix of its
// own under a tmp dir: its own nginx.conf, pid file, logs and temp dirs, so it never touches
// /etc/nginx or /var/log/nginx and runs as root or not. Plain JavaScript, so the test suite and the
// comparison script in bench/reliability share it.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The nginx binary: `$NGINX` when set (and only it), else `nginx` on the PATH, else Debian's
 * /usr/sbin/nginx (not on a non-root PATH). `undefined` when there is none.
 */
export function findNginx() {
  if (process.env.NGINX) return existsSync(process.env.NGINX) ? process.env.NGINX : undefined
  const candidates = [...pathDirs().map((dir) => join(dir, 'nginx')), '/usr/sbin/nginx']
  return candidates.find((candidate) => existsSync(candidate))
}

function pathDirs() {
  return (process.env.PATH ?? '').split(':').filter((dir) => dir !== '')
}

/** `[major, minor, patch]` of the nginx binary (`nginx -v` prints it on stderr). */
export function nginxVersion(bin) {
  const { stdout, stderr } = spawnSync(bin, ['-v'], { encoding: 'utf8' })
  const match = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(`${stderr}${stdout}`)
  if (!match) throw new Error(`${bin} -v: no version in its output`)
  return [Number(match[1]), Number(match[2]), Number(match[3])]
}

/** A port that was free a moment ago on 127.0.0.1 (nginx then binds it; a lost race is retried). */
async function freePort() {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  await once(server, 'close')
  return port
}

/** Resolves once something accepts TCP connections on `port`, or rejects after `timeoutMs`. */
async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const accepted = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (accepted) return
    await sleep(20)
  }
  throw new Error(`nothing accepts connections on 127.0.0.1:${port} after ${timeoutMs} ms`)
}

function config({ prefix, ports, upstreamPort, cert, key, http2Directive }) {
  const tls = http2Directive
    ? `listen 127.0.0.1:${ports.tls} ssl;\n    http2 on;`
    : `listen 127.0.0.1:${ports.tls} ssl http2;`
  return `daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  # One line per request nginx answered, the client's id included, so deliveries can be counted.
  log_format ids '$request_method $http_x_request_id $status $server_protocol';
  access_log ${prefix}/logs/access.log ids;
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${ports.plain};
    ${tls}
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`
}

/**
 * Starts nginx in front of `upstreamPort` (a server on 127.0.0.1), with `cert` and `key` (PEM file
 * paths) for its TLS port, which speaks HTTP/2 and HTTP/1.1 (ALPN).
 *
 * @param {{ upstreamPort: number, cert: string, key: string, bin?: string }} options
 */
export async function startNginx({ upstreamPort, cert, key, bin = findNginx() }) {
  if (!bin) throw new Error('nginx is not installed (apt-get install nginx)')
  const [major, minor, patch] = nginxVersion(bin)
  // `http2 on` came in 1.25.1; `listen … http2` is deprecated from then on.
  const http2Directive = major > 1 || minor > 25 || (minor === 25 && patch >= 1)
  const prefix = await mkdtemp(join(tmpdir(), 'mooring-nginx-'))
  for (const dir of ['logs', 'tmp']) await mkdir(join(prefix, dir))
  const conf = join(prefix, 'nginx.conf')
  const accessLog = join(prefix, 'logs', 'access.log')
  const errorLog = join(prefix, 'logs', 'error.log')

  let child
  let exited
  let ports
  let stderr = ''

  async function launch() {
    stderr = ''
    child = spawn(bin, ['-p', prefix, '-c', conf, '-e', errorLog], { stdio: ['ignore', 'ignore', 'pipe'] })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (text) => {
      stderr += text
    })
    exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }))
    const up = Promise.all([waitForPort(ports.plain, 5_000), waitForPort(ports.tls, 5_000)])
    const outcome = await Promise.race([up.then(() => 'up'), exited.then(() => 'exited')])
    if (outcome === 'exited') {
      const log = await readFile(errorLog, 'utf8').catch(() => '')
      throw new Error(`nginx exited at start: ${(stderr || log).trim()}`)
    }
  }

  // Another process may take a port between freePort() and nginx's bind: try fresh ports, 3 times.
  for (let attempt = 1; ; attempt++) {
    ports = { plain: await freePort(), tls: await freePort() }
    await writeFile(conf, config({ prefix, ports, upstreamPort, cert, key, http2Directive }))
    try {
      await launch()
      break
    } catch (err) {
      if (attempt === 3 || !/in use/.test(String(err))) {
        await rm(prefix, { recursive: true, force: true })
        throw err
      }
    }
  }

  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)

  /** Graceful stop (SIGQUIT: in-flight requests finish); SIGKILL after `timeoutMs`. */
  async function stop(timeoutMs = 5_000) {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGQUIT')
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    await exited
    clearTimeout(timer)
  }

  let closing
  const nginx = {
    bin,
    version: `${major}.${minor}.${patch}`,
    prefix,
    /** http://127.0.0.1:PORT, HTTP/1.1 */
    plainUrl: `http://127.0.0.1:${ports.plain}`,
    /** https://127.0.0.1:PORT, HTTP/2 or HTTP/1.1 by ALPN */
    tlsUrl: `https://127.0.0.1:${ports.tls}`,
    /** Reloads sent (SIGHUP to the master). */
    reloads: 0,
    /** Tells the master to reload its configuration: new workers, the old ones finish gracefully. */
    reload() {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error('nginx is not running')
      child.kill('SIGHUP')
      nginx.reloads++
    },
    stop,
    /** Starts nginx again, on the same ports, after `stop()`. */
    start: launch,
    /** The access log: one `{ method, id, status, protocol }` per request nginx finished. */
    async accessLog() {
      const text = await readFile(accessLog, 'utf8').catch(() => '')
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => {
          const [method, id, status, protocol] = line.split(' ')
          return { method, id, status: Number(status), protocol }
        })
    },
    /** The error log's text (alerts and warnings). */
    errorLog: () => readFile(errorLog, 'utf8').catch(() => ''),
    /** Stops nginx and removes its prefix; again, the same promise. */
    close() {
      closing ??= (async () => {
        await stop()
        process.removeListener('exit', killOnExit)
        await rm(prefix, { recursive: true, force: true })
      })()
      return closing
    },
  }
  return nginx
}
