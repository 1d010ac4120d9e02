/**
 * Was the machine busy while we measured? Timings taken under a load average well above the core count are
 * inflated (a demo on a shared 2-core machine measured p50 2.3× its SLO at load 6.6), so every measured output
 * carries the load it was taken under and says so when it was loaded.
 */
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface MachineLoad {
  /** Highest 1-minute load average seen during the measurement. */
  loadAvg: number;
  /** CPUs this process may use. */
  cores: number;
  /** loadAvg / cores above LOADED_RATIO. */
  loaded: boolean;
}

/**
 * Load per core above which a measurement is flagged. Above 1 because the measurement itself keeps about one
 * core busy; 1.5 leaves room for it plus a little background.
 */
export const LOADED_RATIO = 1.5;

function sample(): number {
  // MOPAR_LOADAVG stands in for the load average (tests of both paths, whatever the machine is doing).
  const fake = process.env.MOPAR_LOADAVG ? Number(process.env.MOPAR_LOADAVG) : NaN;
  return Number.isFinite(fake) ? fake : loadavg()[0]!;
}

function summarise(maxLoad: number): MachineLoad {
  const cores = availableParallelism();
  return { loadAvg: Math.round(maxLoad * 100) / 100, cores, loaded: maxLoad / cores > LOADED_RATIO };
}

/** Samples the load average from now until stop() (every second; the kernel updates it every 5 s). */
export function watchLoad(): { stop: () => MachineLoad } {
  let max = sample();
  const timer = setInterval(() => { max = Math.max(max, sample()); }, 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return summarise(Math.max(max, sample()));
    },
  };
}

/** Runs `fn` and returns its result with the load seen meanwhile. */
export async function underLoadWatch<T>(fn: () => Promise<T>): Promise<{ value: T; load: MachineLoad }> {
  const w = watchLoad();
  try {
    const value = await fn();
    return { value, load: w.stop() };
  } catch (err) {
    w.stop();
    throw err;
  }
}

/** The sentence every measured output prints when the machine was loaded; undefined when it was not. */
export function loadWarning(load: MachineLoad | undefined, what = 'timings'): string | undefined {
  if (!load?.loaded) return undefined;
  return `the machine was loaded while measuring (load average ${load.loadAvg.toFixed(1)} on ${load.cores} cores): `
    + `${what} are inflated; measure again on an idle machine`;
}

/**
 * Waits (at most `maxMs`) until the 1-minute load average is at most one per core: what ran before a measurement
 * (builds, instance starts, a previous model's cold requests) is not measured, and its load should not be the
 * measurement's. The average decays with a 60 s time constant: from 4.5 to 2 takes about 50 s.
 */
export async function settleLoad(maxMs: number): Promise<void> {
  const cores = availableParallelism();
  for (const t0 = Date.now(); Date.now() - t0 < maxMs && sample() > cores;) await sleep(1000);
}
