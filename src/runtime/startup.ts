/**
 * The gateway's instance start-up and drain: what runs before the first request is accepted (sweeps of what an
 * earlier run left, the cgroup note, staging the weights in the object store, pre-warm) and the count of
 * requests in flight that a graceful stop waits for.
 */
import { MoparError, cgroupsAvailable, errorMessage, log } from '../core/index.js';
import { sweepStaleSegments } from './segments.js';
import { sweepLeanCache } from './lean-load.js';
import type { RuntimeOptions, ServedModel } from './model.js';

/**
 * Readies `models` to serve: sweeps, then the weights staged (when served from an object store), then one
 * instance of every function started (`prewarm`), then the warm minimums held. Throws MoparError naming the first
 * failure; the caller closes.
 */
export async function startUp(models: ServedModel[], opts: RuntimeOptions & { prewarm: boolean }): Promise<void> {
  const swept = sweepStaleSegments();
  if (swept) log(`mopar serve: removed ${swept} shared-memory segments left by an earlier run`);
  const lean = sweepLeanCache();
  if (lean) log(`mopar serve: removed ${lean} stale memory-lean model rewrites from the cache`);
  if (opts.enforceLimits) {
    const cg = cgroupsAvailable();
    if (!(cg.cpu && cg.memory)) log(`mopar serve: note: CPU and memory limits are NOT enforced (${cg.reason ?? 'cgroups unavailable'})`);
  }
  if (opts.weights) {
    // Staged before anything starts: uploading is the deployment's work, not a cold start's.
    try {
      for (const m of models) {
        const { objects, bytes } = await m.stageWeights();
        log(`mopar serve: ${m.name}: ${objects} objects (${(bytes / 2 ** 20).toFixed(1)} MB) staged in s3://${opts.weights.bucket}; instances fetch them at cold start`);
      }
    } catch (err) {
      throw new MoparError(`could not stage the weights in the object store: ${errorMessage(err)}`);
    }
  }
  if (opts.prewarm) {
    for (const m of models) m.prewarm();
    const failed = (await Promise.all(models.map(async (m) => (await m.startFailures()).map((f) => `model '${m.name}': ${f}`)))).flat();
    if (failed.length) throw new MoparError(failed[0]! + (failed.length > 1 ? ` (and ${failed.length - 1} more)` : ''));
  }
  // Every pool's warm minimum (pool.ts) from now on: started in the background, listening does not wait for it.
  for (const m of models) for (const p of m.pools.values()) p.holdMinimum();
}

/** Inference requests in flight, and the wait of a graceful stop for them. */
export class Inflight {
  /** Set by a graceful stop: new inference requests are refused (503) and connections closed after answers. */
  draining = false;
  private n = 0;
  private readonly idleWaiters: Array<() => void> = [];

  get count(): number { return this.n; }

  enter(): void { this.n++; }

  leave(): void {
    if (--this.n === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Waits until none is in flight or `ms` passed; resolves with how many are still in flight. */
  async settle(ms: number): Promise<number> {
    if (this.n > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.idleWaiters.push(r)),
        new Promise<void>((r) => { timer = setTimeout(r, ms); }),
      ]);
      clearTimeout(timer);
    }
    return this.n;
  }
}
