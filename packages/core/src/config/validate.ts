import { ConfigError } from '../errors.js'

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

export function expectObject(path: string, value: unknown, keys: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(value)) throw new ConfigError(path, value, 'an object')
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    if (!keys.includes(key)) {
      throw new ConfigError(
        `${path ? `${path}.` : ''}${key}`,
        value[key],
        `a known option (one of ${keys.join(', ')})`,
      )
    }
  }
  return value
}

export function expectMs(path: string, value: unknown, allowZero = false): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0) ||
    value > 2_147_483_647
  ) {
    throw new ConfigError(path, value, `a finite number of milliseconds ${allowZero ? '>= 0' : '> 0'}`)
  }
  return value
}

export function expectPositiveInt(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(path, value, 'an integer >= 1')
  }
  return value
}

export function expectBoolean(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(path, value, 'a boolean')
  return value
}
