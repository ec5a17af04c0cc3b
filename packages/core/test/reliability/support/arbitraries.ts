import fc from 'fast-check'

/**
 * fast-check arbitraries for hostile input: option objects that are almost right, paths built from
 * the characters URL parsers disagree on, header names and values with CR, LF and NUL in them.
 */

/** Anything a JavaScript caller could pass, down to null-prototype objects and boxed values. */
export const junk: fc.Arbitrary<unknown> = fc.anything({
  maxDepth: 2,
  maxKeys: 3,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withNullPrototype: true,
  withObjectString: true,
  withSet: true,
  withSparseArray: true,
  withTypedArray: true,
})

const numberish = fc.oneof(
  fc.integer({ min: -10, max: 100_000 }),
  fc.double(),
  fc.constantFrom(0, -0, 1, 0.5, 2 ** 31, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY),
)

const scalar = fc.oneof(numberish, fc.boolean(), fc.string({ maxLength: 12 }), fc.constant(undefined), junk)

/** An object with some of `keys` (and now and then a key nobody knows), each value a number, a string or junk. */
export function almost(
  keys: readonly string[],
  value: fc.Arbitrary<unknown> = scalar,
): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: keys.length }) },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string()), value, { maxKeys: 4 }),
    },
    { weight: 1, arbitrary: junk },
  )
}

const headerInput = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), numberish, fc.array(fc.string()), junk), {
    maxKeys: 3,
  }),
  fc.array(fc.tuple(fc.oneof(fc.string(), junk), fc.oneof(fc.string(), junk)), { maxLength: 3 }),
  fc
    .array(fc.tuple(fc.oneof(fc.string(), junk), fc.oneof(fc.string(), junk)), { maxLength: 3 })
    .map((e) => new Map(e)),
  junk,
)

const queryInput = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })), {
    maxKeys: 3,
  }),
  fc.string().map((s) => new URLSearchParams(s)),
  junk,
)

const urlish = fc.oneof(
  fc.webUrl({ withQueryParameters: true }),
  fc.constantFrom(
    'http://127.0.0.1:1',
    'https://u:p@127.0.0.1/x',
    'ftp://x',
    '//x',
    '/relative',
    'http://[::1',
  ),
  fc.string(),
  junk,
)

const tlsInput = almost(
  ['ca', 'cert', 'key', 'servername', 'dangerouslyDisableVerification', 'rejectUnauthorized'],
  fc.oneof(fc.string({ maxLength: 8 }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }), scalar),
)

const retryInput = fc.oneof(
  fc.boolean(),
  fc.record(
    {
      limit: numberish,
      methods: fc.oneof(fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), junk),
      statuses: fc.oneof(fc.array(numberish, { maxLength: 3 }), junk),
      errorCodes: fc.oneof(fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), junk),
      timeouts: fc.oneof(fc.array(fc.constantFrom('connect', 'headers', 'body', 'pool', 'total', 'x')), junk),
      backoff: almost(['base', 'max']),
      maxRetryAfter: numberish,
      budget: fc.oneof(fc.constant(false), almost(['ratio', 'minPerSecond', 'ttl'])),
    },
    { requiredKeys: [] },
  ),
  junk,
)

const breakerInput = fc.oneof(
  fc.record(
    {
      halfOpenAfter: numberish,
      consecutiveFailures: numberish,
      sampling: fc.oneof(
        fc.record(
          {
            threshold: fc.oneof(fc.double({ min: -1, max: 2 }), fc.constantFrom(0, 1, 0.5)),
            duration: numberish,
            minimumRps: numberish,
          },
          { requiredKeys: [] },
        ),
        junk,
      ),
    },
    { requiredKeys: [] },
  ),
  junk,
)

/** Options a request, a scope and a client share. */
const perCall = {
  headers: headerInput,
  query: queryInput,
  timeout: almost(['connect', 'headers', 'body', 'pool', 'total']),
  retry: retryInput,
  raiseForStatus: scalar,
  idempotencyKey: fc.oneof(fc.constantFrom('auto', false, 'manual'), junk),
  maxResponseSize: numberish,
  followRedirects: fc.oneof(fc.boolean(), numberish),
}

/**
 * Options as a caller might get them wrong: sometimes many keys at once (the first bad one fails),
 * mostly one key off a valid set, so validation deep in every option is reached too.
 */
function optionsOf(
  valid: Record<string, unknown>,
  keys: Record<string, fc.Arbitrary<unknown>>,
): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.record(keys, { requiredKeys: [] }) },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(...Object.keys(keys))
        .chain((key) => keys[key].map((value) => ({ ...valid, [key]: value }))),
    },
  )
}

/** Client options. */
export const clientOptions: fc.Arbitrary<Record<string, unknown>> = optionsOf(
  { baseUrl: 'http://127.0.0.1:1' },
  {
    ...perCall,
    baseUrl: urlish,
    limits: almost(['connections', 'keepAliveTimeout', 'keepAliveMaxTimeout', 'pipelining', 'maxLifetime']),
    http2: scalar,
    tls: tlsInput,
    proxy: fc.oneof(fc.constant('env'), urlish),
    closeTransport: scalar,
    allowedOrigins: fc.oneof(fc.constant('*'), fc.array(urlish, { maxLength: 2 }), junk),
    hooks: almost(
      ['onRequest', 'onResponse', 'onRetry', 'onError'],
      fc.oneof(fc.func(fc.constant(undefined)), scalar),
    ),
    circuitBreaker: breakerInput,
    unknownOption: scalar,
  },
)

/** Scope options, as `client.scope()` takes them. */
export const scopeOptions: fc.Arbitrary<Record<string, unknown>> = optionsOf(
  {},
  {
    ...perCall,
    signal: fc.oneof(fc.constant(new AbortController().signal), junk),
    deadline: fc.oneof(numberish, fc.constant(Date.now() + 60_000)),
    maxConcurrent: numberish,
    pool: fc.oneof(fc.constantFrom('shared', 'isolated', 'other'), junk),
    limits: almost(['connections', 'pipelining']),
    tls: tlsInput,
    connectTimeout: numberish,
  },
)

/** Request options, without `path` and `method`. */
export const requestOptions: fc.Arbitrary<Record<string, unknown>> = optionsOf(
  {},
  {
    ...perCall,
    body: fc.oneof(fc.string(), fc.uint8Array({ maxLength: 8 }), junk),
    json: junk,
    signal: fc.oneof(fc.constant(new AbortController().signal), junk),
  },
)

/** Registration options on top of client options. */
export const registrationOptions: fc.Arbitrary<Record<string, unknown>> = optionsOf(
  { baseUrl: 'http://127.0.0.1:1', pool: 'isolated' },
  {
    baseUrl: urlish,
    scope: fc.oneof(fc.constantFrom('app', 'request', 'global'), junk),
    name: fc.oneof(fc.constantFrom('http', 'api', 'a b', '1x', ''), junk),
    pool: fc.oneof(fc.constantFrom('shared', 'isolated'), junk),
    requestLimits: almost(['connections', 'pipelining']),
    requestTls: tlsInput,
    maxConcurrent: numberish,
    propagate: fc.oneof(fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }), junk),
    deadline: numberish,
    drainTimeout: numberish,
  },
)

/** Pieces URL parsers treat specially, to build paths from. */
const PATH_PIECES = [
  '/',
  '//',
  '\\',
  '\\\\',
  '.',
  '..',
  '@',
  ':',
  '?',
  '#',
  '%2f',
  '%5c',
  '%00',
  '%',
  ' ',
  '\t',
  '\n',
  '\r',
  '\0',
  'http:',
  'https:',
  'javascript:',
  'file:',
  'evil.example',
  'user:pass@',
  '[::1]',
  '0x7f.1',
  'a',
  'é',
  '€',
]

/** A path a caller (or an attacker who controls part of it) might pass; `others` are hosts it should never reach. */
export function hostilePath(others: readonly string[]): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...PATH_PIECES, ...others) },
    { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
  )
  return fc.array(piece, { minLength: 1, maxLength: 6 }).map((pieces) => pieces.join(''))
}

/** A string with one of CR, LF or NUL somewhere in it. */
export const withControl: fc.Arbitrary<string> = fc
  .tuple(fc.string({ maxLength: 6 }), fc.constantFrom('\r', '\n', '\0', '\r\n'), fc.string({ maxLength: 6 }))
  .map(([before, bad, after]) => `${before}${bad}${after}`)

/** A valid header name (an RFC 9110 token). */
export const headerName: fc.Arbitrary<string> = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/)
