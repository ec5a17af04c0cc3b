/** A second caller of `once(key)`: the first has run (`state: 'done'`) or is running (`'running'`). */
export class DuplicateError extends Error {
  override readonly name = 'DuplicateError'
  readonly code = 'MOORING_DUPLICATE'
  constructor(
    readonly key: string,
    readonly state: 'running' | 'done',
  ) {
    super(
      state === 'done'
        ? `once('${key}'): this side effect has already run; its outcome is recorded`
        : `once('${key}'): this side effect is running on another caller`,
    )
  }
}

/** The guard's store could not answer and `failMode` is `'closed'`: the side effect did not run. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError'
  readonly code = 'MOORING_STORE_UNAVAILABLE'
  constructor(
    readonly key: string,
    options: { cause: unknown },
  ) {
    super(
      `once('${key}'): the store did not answer, and failMode is 'closed': the side effect did not run`,
      options,
    )
  }
}

/** Bad options: names the option, the value and what was expected. */
export class RedisStoreConfigError extends TypeError {
  override readonly name = 'RedisStoreConfigError'
  readonly code = 'MOORING_CONFIG'
}

export function expectPositive(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RedisStoreConfigError(
      `${option} must be a positive number of milliseconds, got ${String(value)}`,
    )
  }
  return value
}
