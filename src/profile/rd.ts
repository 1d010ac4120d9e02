/**
 * Resource-dominant (RD) operator types (MOPAR §2): the few op types that dominate time or memory. A type is RD
 * when its share of time reaches `timeThreshold`, or its share of weight bytes reaches `paramThreshold`.
 */
export const RD_TIME_THRESHOLD = 0.1;
export const RD_PARAM_THRESHOLD = 0.25;

/** Fractions per key, summing to 1 (empty when the total is 0); largest first. */
export function shares(items: Iterable<{ key: string; value: number }>): Record<string, number> {
  const sum = new Map<string, number>();
  let total = 0;
  for (const { key, value } of items) {
    sum.set(key, (sum.get(key) ?? 0) + value);
    total += value;
  }
  if (total <= 0) return {};
  return Object.fromEntries([...sum].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / total]));
}

export function rdOps(opShare: Record<string, number>, paramShare: Record<string, number>,
  timeThreshold = RD_TIME_THRESHOLD, paramThreshold = RD_PARAM_THRESHOLD): string[] {
  const rd = new Set<string>();
  for (const [op, s] of Object.entries(opShare)) if (s >= timeThreshold) rd.add(op);
  for (const [op, s] of Object.entries(paramShare)) if (s >= paramThreshold) rd.add(op);
  return [...rd].sort((a, b) => (opShare[b] ?? 0) - (opShare[a] ?? 0));
}
