/**
 * How busy a pool's concurrent instances have been lately: the signal Cloud Run's autoscaler targets (60 % CPU;
 * plan/platforms.ts `concurrency.targetUtilisation`). A host runs its calls on its own CPU quota, so it is
 * CPU-busy while at least one call is active; the busy share is an exponentially weighted mean of that, over
 * about `BUSY_WINDOW_MS`. Without it, instances serving many requests side by side scale out only once each holds
 * its whole concurrency (80 on Cloud Run), long after their queues have outrun every SLO.
 */

/** Time constant of the busy share: short enough to follow a bench's minute of load, long enough to ignore one call. */
export const BUSY_WINDOW_MS = 10_000;

/** One instance's busy share, updated at each idle ↔ busy change. */
export class BusyShare {
  private share = 0;
  private since: number;
  private busy = false;

  constructor(now = performance.now(), private readonly windowMs = BUSY_WINDOW_MS) {
    this.since = now;
  }

  /** The busy share at `now` (0–1). */
  at(now = performance.now()): number {
    const keep = Math.exp(-Math.max(0, now - this.since) / this.windowMs);
    return this.share * keep + (this.busy ? 1 - keep : 0);
  }

  set(busy: boolean, now = performance.now()): void {
    this.share = this.at(now);
    this.since = now;
    this.busy = busy;
  }
}

/** The busy shares of a pool's instances, keyed by instance (forgotten with it). */
export class BusyShares {
  private readonly shares = new WeakMap<object, BusyShare>();

  /** `inst` became busy (first call active) or idle (last call done). */
  set(inst: object, busy: boolean, now = performance.now()): void {
    let s = this.shares.get(inst);
    if (!s) this.shares.set(inst, (s = new BusyShare(now)));
    s.set(busy, now);
  }

  /** The mean busy share of `instances` (0 for none, and for an instance never busy). */
  mean(instances: readonly object[], now = performance.now()): number {
    if (!instances.length) return 0;
    return instances.reduce((a, i) => a + (this.shares.get(i)?.at(now) ?? 0), 0) / instances.length;
  }
}
