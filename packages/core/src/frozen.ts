/**
 * A Set whose entries cannot change: `add`, `delete` and `clear` throw a TypeError. The exported
 * defaults are shared by every client in the process, and `Object.freeze` does not reach a Set's
 * entries, so a mutation of one would silently change them all. Reads (`has`, iteration) are a
 * plain Set's.
 */
class FrozenSet<T> extends Set<T> {
  constructor(values: Iterable<T>) {
    super()
    // Set's constructor would call the overridden `add`; fill through the base method instead.
    for (const value of values) Set.prototype.add.call(this, value)
    Object.freeze(this)
  }

  override add(value: T): never {
    throw new TypeError(`Cannot add ${String(value)}: this set is a frozen default`)
  }

  override delete(value: T): never {
    throw new TypeError(`Cannot delete ${String(value)}: this set is a frozen default`)
  }

  override clear(): never {
    throw new TypeError('Cannot clear: this set is a frozen default')
  }
}

/** A set that throws on mutation, typed as the `ReadonlySet` it is. */
export function frozenSet<T>(values: Iterable<T>): ReadonlySet<T> {
  return new FrozenSet(values)
}
