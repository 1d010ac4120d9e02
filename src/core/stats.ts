/**
 * Order statistics of samples, one convention each, used by every stage and bench: the median (the middle
 * sample, or the mean of the two middle ones) and the nearest-rank quantile. NaN for no samples.
 */

/** Median of `xs`: the middle sample, or the mean of the two middle ones; NaN when empty. */
export function median(xs: ArrayLike<number>): number {
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Empirical q-quantile, nearest rank: the least sample with at least a fraction `q` of the samples at or below it
 * (p99 of 100 samples is the 99th smallest, not the largest); NaN when empty.
 */
export function quantile(xs: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(xs).sort();
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
