/** Headline numbers per platform, computed from measured rows only. */
import { median } from '../core/index.js';
import type { BenchRow, NoiseFloor, PlatformSummary } from './types.js';

export function geomean(xs: number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x) && x > 0);
  if (ok.length === 0) return NaN;
  return Math.exp(ok.reduce((a, x) => a + Math.log(x), 0) / ok.length);
}

/** What was deployed: each function's group, memory and CPU (node sets are not recorded in a row). */
function deployment(r: BenchRow): string {
  return r.measured.functions.map((f) => `${f.group}:${f.memoryMB}:${f.vcpu}`).join('|');
}

const good = (r: BenchRow) => !r.error && r.verify.ok && r.measured.errors === 0;

/**
 * The rows headline numbers are computed over: good cells, and only full-size models whenever the run has any (tiny
 * variants are smoke checks, too small to be worth splitting).
 */
function headlineRows(rows: BenchRow[]): BenchRow[] {
  const all = rows.filter(good);
  return all.some((r) => !r.tiny) ? all.filter((r) => !r.tiny) : all;
}

export function summarize(rows: BenchRow[]): Record<string, PlatformSummary> {
  const out: Record<string, PlatformSummary> = {};
  for (const platform of [...new Set(rows.map((r) => r.platform))]) {
    const mine = headlineRows(rows.filter((r) => r.platform === platform));
    const models = [...new Set(mine.map((r) => r.model))];
    const cost: number[] = [];
    const lat: number[] = [];
    const eff: number[] = [];
    let cheapest = 0;
    let withMopar = 0;
    for (const m of models) {
      const cell = (s: string) => mine.find((r) => r.model === m && r.strategy === s);
      const mopar = cell('mopar');
      const unsplit = cell('unsplit');
      if (!mopar) continue;
      withMopar++;
      eff.push(mopar.measured.efficiency);
      if (unsplit) {
        cost.push(unsplit.measured.costPerMillionUSD / mopar.measured.costPerMillionUSD);
        lat.push(mopar.measured.p50Ms / unsplit.measured.p50Ms);
      }
      const others = mine.filter((r) => r.model === m && r.strategy !== 'mopar');
      // A strategy that deployed the very same functions as mopar ties with it: any measured difference between
      // two identical deployments is noise. Otherwise 1 % slack.
      const same = (o: BenchRow) => deployment(o) === deployment(mopar);
      if (others.every((o) => same(o) || mopar.measured.costPerMillionUSD <= o.measured.costPerMillionUSD * 1.01)) cheapest++;
    }
    out[platform] = {
      costRatioGeomean: geomean(cost),
      latencyRatioGeomean: geomean(lat),
      efficiencyMean: eff.length ? eff.reduce((a, b) => a + b, 0) / eff.length : NaN,
      cheapestModels: cheapest,
      models: withMopar,
    };
  }
  return out;
}

/** Spread between cells that deployed identical functions for one model and platform (see NoiseFloor). */
export function noiseFloor(rows: BenchRow[]): NoiseFloor | undefined {
  const ok = headlineRows(rows);
  const cost: number[] = [];
  const p50: number[] = [];
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.min(a, b);
  ok.forEach((a, i) => {
    for (const b of ok.slice(i + 1)) {
      if (a.model !== b.model || a.platform !== b.platform || deployment(a) !== deployment(b)) continue;
      cost.push(rel(a.measured.costPerMillionUSD, b.measured.costPerMillionUSD));
      p50.push(rel(a.measured.p50Ms, b.measured.p50Ms));
    }
  });
  if (cost.length === 0) return undefined;
  return { pairs: cost.length, costDiffMedian: median(cost), costDiffMax: Math.max(...cost), p50DiffMedian: median(p50), p50DiffMax: Math.max(...p50) };
}

