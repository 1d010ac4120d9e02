/**
 * The sweep's measurement: the good deployments of one (model, platform) served side by side by one gateway in
 * interleaved rounds (so machine noise hits them alike), a control copy of the first, and cold requests.
 */
import { performance } from 'node:perf_hooks';
import { errorMessage, quantile, settleLoad, watchLoad, type MachineLoad } from '../core/index.js';
import type { Platform } from '../plan/index.js';
import { loadManifest } from '../partition/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds } from '../runtime/index.js';
import { functionsBetween, requestBill } from './measure.js';
import type { MeasuredFunction } from './types.js';
import { composition, machineCores, measurePlan, tapCalls, type Calls, type Composition, type MeasuredAs } from './compose.js';

export interface Measured {
  costPerMillionUSD: number; p50Ms: number; p95Ms: number; p99Ms: number; coldStartMs: number; requests: number; errors: number; fns: MeasuredFunction[];
  billedFrom?: 'one-at-a-time';
  /** `composed`: the latency percentiles are the composition's (the plan's parallel functions needed more cores). */
  measuredAs: MeasuredAs;
  /** Plans with parallel functions: the composed latency (validated against the served one where both ran). */
  composition?: Composition;
  /** The first failed request's reason (an instance out of memory, a crash): the cell says it. */
  firstError?: string;
}

/**
 * What the sweep measured for a model × platform, and the machine's load while it measured the warm requests (not
 * while it started instances); `coldLoad` while it sent the cold requests, apart: a cold request starts every
 * function of its deployment at once, and a deployment of 50 functions loads 2 cores by itself.
 */
export interface MeasuredGroup { measured: Array<Measured | undefined>; load: MachineLoad; coldLoad?: MachineLoad }

/**
 * All good deployments (plus a second copy of the first, the control) served by one gateway, `warm` requests to
 * each in turns of WARM_BLOCK back-to-back requests, deployments in rotating order. Deployments with parallel
 * functions also go through a second interleaved pass
 * that runs one function at a time (each alone on its quota, as on a platform; see cell.ts): their cost is billed
 * from it and their requests composed along the DAG (compose.ts). Those whose parallel functions need more than
 * `cores` are not served concurrently at all: their latency is the composed one.
 */
export async function measureInterleaved(dirs: string[], good: boolean[], platform: Platform, warm: number, coldN: number, cores = machineCores(), settleMs = SETTLE_MS): Promise<MeasuredGroup> {
  const serve = dirs.map((d, i) => (good[i] ? d : undefined));
  if (serve[0]) serve.push(serve[0]);
  const manifests = serve.map((d) => (d ? loadManifest(d).manifest : undefined));
  const how = manifests.map((m) => (m ? measurePlan(m, cores) : undefined));
  const loads: MachineLoad[] = [];
  const coldLoads: MachineLoad[] = [];
  const shared = await interleavedPass(serve.map((d, i) => (how[i] !== 'composed' ? d : undefined)), warm, false, loads, settleMs);
  const parallel = how.map((h) => h === 'composed' || h === 'validate');
  const alone = parallel.some(Boolean) ? await interleavedPass(serve.map((d, i) => (parallel[i] ? d : undefined)), warm, true, loads, settleMs) : [];
  const out: Array<Measured | undefined> = [];
  for (let i = 0; i < serve.length; i++) {
    const s = how[i] === 'composed' ? alone[i] : shared[i];
    if (!s || !serve[i]) { out.push(undefined); continue; }
    if (s.lat.length === 0) {
      out.push({ costPerMillionUSD: NaN, p50Ms: NaN, p95Ms: NaN, p99Ms: NaN, coldStartMs: NaN, requests: 0, errors: s.errors, fns: [], measuredAs: how[i] === 'composed' ? 'composed' : 'served', firstError: s.firstError ?? 'no request answered' });
      continue;
    }
    const a = alone[i];
    const composed = a && a.lat.length > 0 ? composition(manifests[i]!, a.lat, a.calls, how[i] === 'validate' ? shared[i]?.lat : undefined) : undefined;
    const lat = how[i] === 'composed' ? composed!.lat : s.lat;
    const billed = a?.fns.length ? a.fns : s.fns;
    const cold: number[] = [];
    const coldWatch = watchLoad();
    for (let k = 0; k < coldN && i < dirs.length; k++) cold.push(await coldRequest(serve[i]!, 100 + k));
    if (cold.length) coldLoads.push(coldWatch.stop()); else coldWatch.stop();
    const firstError = shared[i]?.firstError ?? a?.firstError;
    out.push({
      costPerMillionUSD: requestBill(platform, billed, lat).usd * 1e6, p50Ms: quantile(lat, 0.5), p95Ms: quantile(lat, 0.95), p99Ms: quantile(lat, 0.99),
      coldStartMs: cold.length ? quantile(cold, 0.5) : NaN, requests: lat.length, errors: (how[i] === 'composed' ? 0 : shared[i]?.errors ?? 0) + (a?.errors ?? 0),
      fns: billed, ...(a ? { billedFrom: 'one-at-a-time' as const } : {}), measuredAs: how[i] === 'composed' ? 'composed' : 'served',
      ...(composed ? { composition: { p50Ms: composed.p50Ms, p95Ms: composed.p95Ms, p99Ms: composed.p99Ms, ...(composed.validation ? { validation: composed.validation } : {}) } } : {}),
      ...(firstError ? { firstError } : {}),
    });
  }
  const highest = (ls: MachineLoad[]) => ls.reduce((a, l) => (l.loadAvg > a.loadAvg ? l : a), ls[0]!);
  return { measured: out, load: loads.length ? highest(loads) : watchLoad().stop(), ...(coldLoads.length ? { coldLoad: highest(coldLoads) } : {}) };
}

/**
 * Requests each deployment gets in a row before the next one's turn. Plans promise the latency of back-to-back
 * requests; one request per turn left a function's threads asleep for every other deployment's request, and a
 * 2-vCPU MobileNetV2 function measured 11.8 ms p50 that way against 9.4 ms back to back in the same run (1-vCPU
 * and smaller functions alike either way; scratch measurement 2026-12-07, load 2.5). Turns still rotate, so
 * drift on the machine reaches every deployment.
 */
export const WARM_BLOCK = 4;

type Pass = { lat: number[]; calls: Calls[]; errors: number; fns: MeasuredFunction[]; firstError?: string };

/**
 * A failed request (an instance killed at its memory limit, a crash) is counted against its deployment and the
 * pass goes on; a deployment that fails its warm-up is left out of the pass with its reason. One bad cell must
 * not end a sweep of hours.
 */
async function interleavedPass(dirs: Array<string | undefined>, requests: number, oneAtATime: boolean, loads: MachineLoad[], settleMs: number): Promise<Array<Pass | undefined>> {
  const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false, oneAtATime });
  try {
    const names = dirs.map((d, i) => (d ? gw.addModel(d, `d${i}`) : undefined));
    const taps = names.map((n) => (n ? tapCalls(gw, n) : undefined));
    const firstError = new Map<number, string>();
    const failed = (i: number, err: unknown) => { if (!firstError.has(i)) firstError.set(i, errorMessage(err).split('\n')[0]!); };
    // One deployment's instances at a time (a Gillis plan starts 50): starting them all at once on 2 cores would
    // load the machine for the minute the load average remembers, and no start is measured here.
    for (const [i, n] of names.entries()) {
      const m = n ? gw.models.get(n) : undefined;
      if (!m) continue;
      m.prewarm();
      const why = await m.startFailures();
      if (why.length) failed(i, why[0]);
    }
    await settleLoad(settleMs);
    const addr = await gw.listen(0);
    const url = `http://127.0.0.1:${addr.port}`;
    let live = names.map((n, i) => ({ n, i })).filter((x): x is { n: string; i: number } => !!x.n && !firstError.has(x.i));
    if (live.length === 0) return dirs.map((_, i) => (names[i] ? { lat: [], calls: [], errors: 2, fns: [], firstError: `warm-up failed: ${firstError.get(i) ?? 'not started'}` } : undefined));
    const feeds = randomFeeds(await modelMetadata(url, live[0]!.n), 1);
    const watch = watchLoad();
    // Two warm-up rounds are not counted: they settle onnxruntime's first-run allocations.
    for (let r = 0; r < 2; r++) {
      for (const x of live) await infer(url, x.n, feeds).catch((err: unknown) => failed(x.i, err));
    }
    live = live.filter((x) => !firstError.has(x.i));
    const before = new Map(live.map((x) => [x.i, gw.stats(x.n)]));
    const lat = new Map<number, number[]>(live.map((x) => [x.i, []]));
    const calls = new Map<number, Calls[]>(live.map((x) => [x.i, []]));
    const errors = new Map<number, number>(live.map((x) => [x.i, 0]));
    for (let r = 0, done = 0; done < requests; r++, done += WARM_BLOCK) {
      // Rotate the order so no deployment always runs right after the same neighbour.
      for (let j = 0; j < live.length; j++) {
        const x = live[(j + r) % live.length]!;
        for (let b = 0; b < Math.min(WARM_BLOCK, requests - done); b++) {
          taps[x.i]!.take();
          const t0 = performance.now();
          try {
            await infer(url, x.n, feeds);
            lat.get(x.i)!.push(performance.now() - t0);
            calls.get(x.i)!.push(taps[x.i]!.take().at(-1) ?? []);
          } catch (err) {
            errors.set(x.i, errors.get(x.i)! + 1);
            failed(x.i, err);
          }
        }
      }
    }
    loads.push(watch.stop());
    return dirs.map((_, i): Pass | undefined => {
      const n = names[i];
      if (!n) return undefined;
      const why = firstError.get(i);
      // Not measured: it failed its warm-up (both rounds counted as errors).
      if (!lat.has(i)) return { lat: [], calls: [], errors: 2, fns: [], firstError: `warm-up failed: ${why}` };
      return { lat: lat.get(i)!, calls: calls.get(i)!, errors: errors.get(i)!, fns: functionsBetween(before.get(i)!, gw.stats(n)), ...(why ? { firstError: why } : {}) };
    });
  } finally {
    await gw.close();
  }
}

/**
 * How long a pass waits for the load of the builds and instance starts before it to settle (core's settleLoad). It
 * waited 10 s until 2026-12-07, which left 16 % of that day's sweep cells measured at a load the pass itself did not make.
 */
const SETTLE_MS = 60_000;

/** One request to a fresh gateway with nothing pre-started: it pays every cold start on its path. */
async function coldRequest(dir: string, seed: number): Promise<number> {
  const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false });
  try {
    const name = gw.addModel(dir, 'cold');
    const addr = await gw.listen(0);
    const url = `http://127.0.0.1:${addr.port}`;
    const feeds = randomFeeds(await modelMetadata(url, name), seed);
    const t0 = performance.now();
    await infer(url, name, feeds);
    return performance.now() - t0;
  } catch {
    return NaN; // counted as not measured; the warm passes say why
  } finally {
    await gw.close();
  }
}
