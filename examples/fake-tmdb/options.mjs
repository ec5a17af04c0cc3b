/** The key fake-tmdb accepts unless told otherwise: as a Bearer token, or as `api_key` in the query. */
export const FAKE_TMDB_KEY = 'fake-tmdb-key'

const KEYS = ['port', 'host', 'apiKey', 'latency', 'failRate', 'retryAfter', 'dropRate']

function fail(option, value, expected) {
  throw new TypeError(`fake-tmdb: ${option}: expected ${expected}, got ${JSON.stringify(value)}`)
}

function share(option, value) {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) fail(option, value, 'a share from 0 to 1')
  return value
}

function ms(option, value) {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(option, value, 'whole ms >= 0')
  return value
}

/** Validates the options of `startFakeTmdb`, filling in the defaults: no faults, no latency. */
export function normalizeOptions(options = {}) {
  if (options === null || typeof options !== 'object') fail('options', options, 'an object')
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) fail(key, options[key], `one of the options ${KEYS.join(', ')}`)
  }
  const {
    port = 0,
    host = '127.0.0.1',
    apiKey = FAKE_TMDB_KEY,
    latency = 0,
    failRate = 0,
    retryAfter = 1,
    dropRate = 0,
  } = options
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail('port', port, 'a port number')
  if (typeof host !== 'string' || host === '') fail('host', host, 'a host name')
  if (typeof apiKey !== 'string' || apiKey === '') fail('apiKey', apiKey, 'a non-empty string')
  const [minLatency, maxLatency] = Array.isArray(latency) ? latency : [latency, latency]
  ms('latency', minLatency)
  ms('latency', maxLatency)
  if (maxLatency < minLatency) fail('latency', latency, '[min, max] with min <= max')
  const retryAfters = [retryAfter].flat()
  if (retryAfters.length === 0 || !retryAfters.every((s) => Number.isInteger(s) && s >= 0)) {
    fail('retryAfter', retryAfter, 'whole seconds >= 0, or a list of them to pick from')
  }
  return {
    port,
    host,
    apiKey,
    latency: [minLatency, maxLatency],
    failRate: share('failRate', failRate),
    retryAfter: retryAfters,
    dropRate: share('dropRate', dropRate),
  }
}

/**
 * Options from the environment: FAKE_TMDB_PORT, FAKE_TMDB_KEY, FAKE_TMDB_LATENCY_MS (`5` or `2-10`),
 * FAKE_TMDB_FAIL_RATE (`0.03`), FAKE_TMDB_RETRY_AFTER (`1` or `0,1`), FAKE_TMDB_DROP_RATE (`0.05`).
 */
export function optionsFromEnv(env = process.env) {
  const options = {}
  const number = (name) => {
    const value = Number(env[name])
    if (env[name].trim() === '' || Number.isNaN(value)) fail(name, env[name], 'a number')
    return value
  }
  if (env.FAKE_TMDB_PORT) options.port = number('FAKE_TMDB_PORT')
  if (env.FAKE_TMDB_KEY) options.apiKey = env.FAKE_TMDB_KEY
  if (env.FAKE_TMDB_LATENCY_MS) {
    const [min, max = min] = env.FAKE_TMDB_LATENCY_MS.split('-').map(Number)
    options.latency = [min, max]
  }
  if (env.FAKE_TMDB_FAIL_RATE) options.failRate = number('FAKE_TMDB_FAIL_RATE')
  if (env.FAKE_TMDB_RETRY_AFTER) options.retryAfter = env.FAKE_TMDB_RETRY_AFTER.split(',').map(Number)
  if (env.FAKE_TMDB_DROP_RATE) options.dropRate = number('FAKE_TMDB_DROP_RATE')
  return options
}
