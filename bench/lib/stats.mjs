// Order statistics over plain arrays of numbers.

/** The median of `values` (NaN for none). */
export function median(values) {
  const finite = values.filter(Number.isFinite)
  if (finite.length === 0) return Number.NaN
  const sorted = finite.sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** The `p`-th percentile (nearest rank) of the first `count` entries of `samples`; sorts them in place. */
export function percentile(samples, count, p) {
  if (count === 0) return Number.NaN
  const view = samples.subarray(0, count).sort()
  const rank = Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1))
  return view[rank]
}

/** `list` rotated left by `by`: round `r` of a rotating order. */
export function rotate(list, by) {
  const k = by % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}
