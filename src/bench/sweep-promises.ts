/**
 * Does a sweep keep the planner's promises? The checks a user relies on, computed from the sweep's own rows:
 * predictions match measurement (medians, overall and per function-count class), mopar's deployment meets the SLO
 * and is the cheapest wherever anything measurably does, nothing it deployed billed below the physical floor, and
 * the cells were measured on a machine that was not otherwise loaded. The sweep report and the README render these.
 */
import { LOADED_RATIO, median } from '../core/index.js';
import type { SweepReport, SweepRow } from './sweep.js';

/** Thresholds the checks hold the run to (the bounds a reader of a sweep can check by hand). */
export const PROMISE_BOUNDS = {
  /** |median measured ÷ predicted − 1| over all cells, p50 and cost. */
  allCells: 0.10,
  /** The same per function-count class. */
  perClass: 0.20,
  /** Share of the steps (where some deployment measurably met the SLO) at which mopar met it and was cheapest. */
  steps: 0.90,
  /** mopar is "the cheapest" when within this fraction of the cheapest measurably feasible deployment. */
  cheapestWithin: 0.05,
  /** Share of measured cells taken at a load of at most LOADED_RATIO per core. */
  quietCells: 0.90,
} as const;

export const FUNCTION_CLASSES = ['1 function', '2–3 functions', '4–9 functions', '10+ functions'] as const;

export function functionClass(functions: number): (typeof FUNCTION_CLASSES)[number] {
  return functions === 1 ? '1 function' : functions <= 3 ? '2–3 functions' : functions <= 9 ? '4–9 functions' : '10+ functions';
}

/** A cell whose measurement can be judged: measured, verified, no failed request. */
export const measuredOk = (r: SweepRow): boolean => !!r.measured && !r.error && r.measured.errors === 0 && !!r.verify?.ok;

/** `p50Here`: measured p50 ÷ the plan's prediction with hand-offs as served here (rows that carry it; else NaN). */
export interface Ratios { cells: number; p50: number; cost: number; p50Here: number }

/** Medians of measured ÷ predicted over the measured cells: p50 latency and cost per request. */
export function predictionRatios(rows: readonly SweepRow[]): Ratios {
  const ok = rows.filter((r) => measuredOk(r) && r.predicted.latencyMs > 0 && r.predicted.costPerMillionUSD > 0);
  return {
    cells: ok.length,
    p50: median(ok.map((r) => r.measured!.p50Ms / r.predicted.latencyMs)),
    cost: median(ok.map((r) => r.measured!.costPerMillionUSD / r.predicted.costPerMillionUSD)),
    p50Here: median(ok.filter((r) => (r.predicted.servedHereMs ?? 0) > 0).map((r) => r.measured!.p50Ms / r.predicted.servedHereMs!)),
  };
}

export interface PlatformSteps {
  platform: string;
  steps: number;
  /** Steps at which some deployment (any strategy) measurably met the SLO. */
  someMet: number;
  /** … of them, mopar's deployment met it. */
  moparMet: number;
  /** … and cost at most `cheapestWithin` more than the cheapest that met it. */
  moparCheapest: number;
}

export interface PromiseCheck {
  all: Ratios;
  classes: Array<Ratios & { label: string }>;
  platforms: PlatformSteps[];
  /** mopar cells measured below their floor (measured ÷ floor < 1). */
  belowFloor: Array<{ model: string; platform: string; step: number; overFloor: number }>;
  moparMeasured: number;
  load: { cells: number; quiet: number };
  kept: { ratios: boolean; steps: boolean; floor: boolean; load: boolean };
}

const within = (x: number, bound: number) => Number.isFinite(x) && Math.abs(x - 1) <= bound;

export function promiseCheck(report: SweepReport): PromiseCheck {
  const rows = report.sweep;
  const all = predictionRatios(rows);
  const classes = FUNCTION_CLASSES.map((label) => ({ label, ...predictionRatios(rows.filter((r) => functionClass(r.functions) === label)) }))
    .filter((c) => c.cells > 0);
  const platforms = report.config.platforms.map((platform): PlatformSteps => {
    const mine = rows.filter((r) => r.platform === platform);
    const keys = [...new Set(mine.map((r) => `${r.model}\u0000${r.step}`))];
    const s: PlatformSteps = { platform, steps: keys.length, someMet: 0, moparMet: 0, moparCheapest: 0 };
    for (const k of keys) {
      const met = mine.filter((r) => `${r.model}\u0000${r.step}` === k && r.feasible && measuredOk(r));
      if (!met.length) continue;
      s.someMet++;
      const mo = met.find((r) => r.strategy === 'mopar');
      if (!mo) continue;
      s.moparMet++;
      const cheapest = Math.min(...met.map((r) => r.measured!.costPerMillionUSD));
      if (mo.measured!.costPerMillionUSD <= cheapest * (1 + PROMISE_BOUNDS.cheapestWithin)) s.moparCheapest++;
    }
    return s;
  });
  const mopar = rows.filter((r) => r.strategy === 'mopar' && measuredOk(r) && Number.isFinite(r.floorPerMillionUSD));
  const belowFloor = mopar.map((r) => ({ model: r.model, platform: r.platform, step: r.step, overFloor: r.measured!.costPerMillionUSD / r.floorPerMillionUSD }))
    .filter((x) => x.overFloor < 1);
  const withLoad = rows.filter((r) => r.measured && r.load);
  const quiet = withLoad.filter((r) => r.load!.loadAvg / r.load!.cores <= LOADED_RATIO).length;
  return {
    all, classes, platforms, belowFloor, moparMeasured: mopar.length, load: { cells: withLoad.length, quiet },
    kept: {
      ratios: within(all.p50, PROMISE_BOUNDS.allCells) && within(all.cost, PROMISE_BOUNDS.allCells) &&
        classes.every((c) => within(c.p50, PROMISE_BOUNDS.perClass) && within(c.cost, PROMISE_BOUNDS.perClass)),
      steps: platforms.every((p) => p.someMet > 0 && p.moparCheapest >= PROMISE_BOUNDS.steps * p.someMet),
      floor: belowFloor.length === 0,
      load: withLoad.length > 0 && quiet >= PROMISE_BOUNDS.quietCells * withLoad.length,
    },
  };
}
