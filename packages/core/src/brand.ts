/**
 * Brands that make `instanceof` work across two copies of @mooring/core in one process (a plugin
 * that resolved its own copy, a CJS and an ESM build side by side). `Symbol.for` gives every copy
 * the same symbol; the class name tells the subclasses apart.
 */
export const ERROR_BRAND: unique symbol = Symbol.for('mooring.error') as never
export const CLIENT_BRAND: unique symbol = Symbol.for('mooring.client') as never

const ordinaryHasInstance = Function.prototype[Symbol.hasInstance]

/**
 * `value instanceof type`, or else: `value` carries `brand` and (for errors) a class named like
 * `type` is on its prototype chain (the same class from another copy). The ordinary check runs first, so one
 * copy pays nothing more than a plain `instanceof`.
 */
export function isBranded(
  type: abstract new (...args: never[]) => unknown,
  brand: symbol,
  value: unknown,
): boolean {
  if (ordinaryHasInstance.call(type, value)) return true
  if (value === null || typeof value !== 'object' || (value as Record<symbol, unknown>)[brand] !== true) {
    return false
  }
  // The client brand is the class itself (nothing extends MooringClient); an error's brand is
  // shared by every error class, so its class is looked for by name.
  if (brand !== ERROR_BRAND) return true
  const name = type.name
  for (let p: object | null = Object.getPrototypeOf(value); p !== null; p = Object.getPrototypeOf(p)) {
    if (
      Object.hasOwn(p, 'constructor') &&
      (p as { constructor: { name: string } }).constructor.name === name
    ) {
      return true
    }
  }
  return false
}

/** Marks every instance of `type` (through its prototype) with `brand`. */
export function brand(type: { prototype: object }, brand: symbol): void {
  Object.defineProperty(type.prototype, brand, { value: true })
}
