/**
 * The physical floor: the lowest bill a platform's rules allow for a model's work, served one request per
 * invocation. No deployment reaches it; it is how close to the limit a plan is (measured cost ÷ floor).
 *
 * Per profile layer, the work (scaled to the profile's fastest timed run, `minMs`) runs at the configuration that
 * makes it cheapest (the best thread count from the profile's scaling curve; below one core the quota model,
 * full speed inside a CFS period) with only the memory physically live while it runs: the runtime baseline
 * (Node + onnxruntime + one session), that layer's own weights and its activations (the arena holds about
 * ACTIVATION_FACTOR × the live bytes). Every configuration obeys the platform's rules (memory step and minimum,
 * memory:vCPU bounds, CPU following memory) via `configsFor`, and is priced by the one price formula
 * (`usdPerSecond`). The request pays one invocation fee and at least one billing granule at the cheapest
 * configuration that holds its smallest live set. Left out, all of which real plans pay: hand-offs, the host's own
 * overhead and planning headroom, per-function fees beyond one, and weights held while other layers run.
 */
import { MoparError } from '../core/index.js';
import { ACTIVATION_FACTOR, SESSION_OVERHEAD_MB, type Profile } from '../profile/index.js';
import { getPlatform, type Platform } from './platforms.js';
import { configsFor, VCPU_GRID, type FnConfig } from './configs.js';
import { billedMs as roundToGranule, usdPerSecond } from './billing.js';
import { fullSpeedMs, makeContext } from './cost-model.js';
import { quotaFloorMs } from './quota-model.js';
import { checkProfile, normalisedLayerMs, unitsOf } from './units.js';

export interface FloorLayer {
  /** Memory physically live while the layer runs, MB. */
  liveMB: number;
  /** The cheapest allowed configuration for it, its duration there (ms) and its cost (USD). */
  config: FnConfig;
  ms: number;
  usd: number;
}

export interface PhysicalFloor {
  platform: string;
  /** USD per request and per million requests. */
  usd: number;
  perMillionUSD: number;
  /** Duration of the request at the floor's configurations, before and after rounding to the granularity. */
  ms: number;
  billedMs: number;
  /** vCPU-seconds and GB-seconds (configured) per request at the floor. */
  vcpuSeconds: number;
  gbSeconds: number;
  /** The work alone at each layer's cheapest configuration, and one billing granule at the smallest one (USD). */
  workUSD: number;
  granuleUSD: number;
  /**
   * One billing granule at the cheapest configuration that holds the heaviest layer's live set, its weights spread
   * over as many parallel parts as its splits allow (USD): whichever function holds that layer pays at least this.
   */
  heaviestGranuleUSD: number;
  layers: FloorLayer[];
}

/** Memory a layer physically needs while it runs, MB: baseline + session + its weights + its activations. */
export function liveMemoryMB(baselineMB: number, weightsMB: number, activationMB: number): number {
  return baselineMB + SESSION_OVERHEAD_MB + weightsMB + ACTIVATION_FACTOR * activationMB;
}

export interface FloorOptions {
  /**
   * The work as one function that holds all weights and the peak activations for the whole request (the physical
   * limit of an unsplit function, on the same terms as the floor; splitBound = this ÷ the floor).
   */
  whole?: boolean;
}

export function physicalFloor(profile: Profile, platformId: string | Platform, opts: FloorOptions = {}): PhysicalFloor {
  checkProfile(profile);
  const p = typeof platformId === 'string' ? getPlatform(platformId) : platformId;
  const layerMs = normalisedLayerMs(profile);
  const boundaries = opts.whole ? [profile.layers.length - 1] : profile.layers.map((_, i) => i);
  const ctx = makeContext(profile, p, unitsOf(profile.layers, layerMs, boundaries));
  const g = p.price.granularityMs;
  const billed = (ms: number) => roundToGranule(ms, g);
  const layers: FloorLayer[] = [];
  // The work at full speed, least disturbed: the fastest timed run, not the median of a possibly loaded profile
  // (so no measured bill comes in below the floor).
  const fastest = profile.minMs !== undefined && profile.minMs > 0 && profile.measuredMs > 0 ? Math.min(1, profile.minMs / profile.measuredMs) : 1;
  for (const u of ctx.units) {
    const liveMB = liveMemoryMB(ctx.baselineMB, u.paramMB, u.peakActivationMB);
    let best: FloorLayer | undefined;
    for (const c of configsFor(p, liveMB, VCPU_GRID, ctx.curve.maxUsefulVcpu)) {
      const full = fullSpeedMs(ctx, u.ms * fastest, c.vcpu);
      const ms = c.vcpu < 1 ? quotaFloorMs(full, c.vcpu, ctx.curve.quota.periodMs) : full;
      // One function: its exact bill, duration rounded up. Per layer: the work alone (rounding comes below).
      const usd = (opts.whole ? billed(ms) : ms) / 1000 * usdPerSecond(p, c);
      if (!best || usd < best.usd) best = { liveMB, config: c, ms, usd };
    }
    if (!best) throw new MoparError(`physical floor: layer ${u.first} needs ${liveMB.toFixed(0)} MB, more than ${p.id} allows`);
    layers.push(best);
  }
  const ms = layers.reduce((a, l) => a + l.ms, 0);
  const billedMs = billed(ms);
  // A request is billed at least one granule, at no less than the cheapest configuration that holds the smallest
  // live set (slowing down inside a granule is free, so a coarse granularity bounds the bill from below this way).
  // One granule at the cheapest configuration holding `mb` (Infinity where none does).
  const granuleAt = (mb: number) => g / 1000 * Math.min(...configsFor(p, mb).map((c) => usdPerSecond(p, c)));
  const oneGranule = granuleAt(Math.min(...layers.map((l) => l.liveMB)));
  const heaviestGranuleUSD = granuleAt(Math.max(...ctx.units.map((u) => {
    const parts = Math.max(1, ...u.splits.filter((x) => x.weightsFractionPerPart === 'inverse').map((x) => x.maxParts));
    return liveMemoryMB(ctx.baselineMB, u.paramMB / parts, u.peakActivationMB);
  })));
  const workUSD = layers.reduce((a, l) => a + l.usd, 0);
  const usd = Math.max(workUSD, oneGranule) + p.price.perRequest;
  let vcpuSeconds = 0;
  let gbSeconds = 0;
  for (const l of layers) { vcpuSeconds += l.ms / 1000 * l.config.vcpu; gbSeconds += l.ms / 1000 * l.config.memoryMB / 1024; }
  return { platform: p.id, usd, perMillionUSD: usd * 1e6, ms, billedMs, vcpuSeconds, gbSeconds, workUSD, granuleUSD: oneGranule, heaviestGranuleUSD, layers };
}
