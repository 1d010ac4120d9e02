/**
 * The plans a choice was made among: the best plan of every strategy at the chosen plan's SLO, and one sentence
 * on why the chosen one wins (what splitting adds in hand-offs and saves in memory, in cost). People read a
 * one-function plan as a failure unless they see what a split would have cost.
 */
import { MoparError } from '../core/index.js';
import type { Plan, PlanAlternative } from './types.js';
import { round } from './assemble.js';

/** Plans another strategy under the same profile, platform and SLO (its fastest plan when it misses the SLO). */
export type PlanWith = (strategy: string) => Plan;

/** The strategies compared; uniform:K is tried at a few K and its cheapest kept. */
const STRATEGIES = ['mopar', 'unsplit', 'layerwise', 'gillis', 'amps'];
const UNIFORM_K = [2, 3, 4];

export function compareAlternatives(chosen: Plan, planWith: PlanWith): { alternatives: PlanAlternative[]; why: string; unavailable: Array<{ strategy: string; reason: string }> } {
  const alternatives: PlanAlternative[] = [];
  const unavailable: Array<{ strategy: string; reason: string }> = [];
  const attempt = (strategy: string): PlanAlternative | undefined => {
    if (strategy === chosen.strategy) return summarise(chosen);
    try {
      return summarise(planWith(strategy));
    } catch (err) {
      if (!(err instanceof MoparError)) throw err;
      unavailable.push({ strategy, reason: err.message });
      return undefined;
    }
  };
  for (const s of STRATEGIES) {
    const a = attempt(s);
    if (a) alternatives.push(a);
  }
  const uniforms = UNIFORM_K.map((k) => attempt(`uniform:${k}`)).filter((a): a is PlanAlternative => !!a);
  const bestUniform = uniforms.sort(byPreference)[0];
  if (bestUniform) alternatives.push(bestUniform);
  // The chosen plan is always listed, even for a strategy outside the compared set.
  if (!alternatives.some((a) => a.strategy === chosen.strategy)) alternatives.push(summarise(chosen));
  alternatives.sort(byPreference);
  return { alternatives, why: whyChosen(summarise(chosen), alternatives), unavailable };
}

/** Plans meeting the SLO first, then cheaper, then faster, then fewer functions. */
function byPreference(a: PlanAlternative, b: PlanAlternative): number {
  return Number(b.coldSloMet !== false) - Number(a.coldSloMet !== false)
    || Number(b.sloMet) - Number(a.sloMet)
    || a.predicted.costPerMillionUSD - b.predicted.costPerMillionUSD
    || a.predicted.latencyMs - b.predicted.latencyMs
    || a.functions - b.functions;
}

function summarise(p: Plan): PlanAlternative {
  const groups = new Set(p.functions.map((f) => f.group)).size;
  return {
    strategy: p.strategy,
    functions: p.functions.length,
    groups,
    sloMet: p.sloMet !== false,
    predicted: {
      latencyMs: p.predicted.latencyMs, costPerMillionUSD: p.predicted.costPerMillionUSD,
      ...(p.predicted.entryCostPerMillionUSD !== undefined ? { entryCostPerMillionUSD: p.predicted.entryCostPerMillionUSD } : {}),
      ...(p.predicted.coldLatencyMs !== undefined ? { coldLatencyMs: p.predicted.coldLatencyMs } : {}),
    },
    ...(p.coldSloMet !== undefined ? { coldSloMet: p.coldSloMet } : {}),
    handOffs: { count: groups - 1, bytes: p.edges.reduce((s, e) => s + e.bytes, 0) },
    // Memory held over billed time, per request: what right-sizing slices saves.
    memoryMBs: round(p.functions.reduce((s, f) => s + f.memoryMB * (f.predicted.billedMs ?? f.predicted.ms), 0) / 1000, 3),
  };
}

const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(x !== 0 && Math.abs(x) < 0.01 ? 1 : 0)} %`;
const mb = (b: number) => (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MB` : `${(b / 2 ** 10).toFixed(0)} kB`);

/** One sentence: why the chosen plan wins over the best plan of a different shape (split vs one function). */
export function whyChosen(chosen: PlanAlternative, alternatives: PlanAlternative[]): string {
  const why = whyWarm(chosen, alternatives);
  // Under a cold SLO, say which plans it rejected (their first request after idle takes too long).
  const rejected = alternatives.filter((a) => a.coldSloMet === false);
  if (!rejected.length || chosen.coldSloMet === false) return why;
  return `${why} Rejected for the cold SLO: ${rejected.map((a) => `${a.strategy} (${a.functions} function${a.functions > 1 ? 's' : ''}, cold ${a.predicted.coldLatencyMs?.toFixed(0)} ms)`).join(', ')}.`;
}

function whyWarm(chosen: PlanAlternative, alternatives: PlanAlternative[]): string {
  const single = alternatives.find((a) => a.functions === 1);
  const splits = alternatives.filter((a) => a.functions > 1);
  const bestSplit = splits.filter((a) => a.sloMet).sort(byPreference)[0] ?? splits.sort(byPreference)[0];
  const best = alternatives[0];
  const miss = chosen.sloMet ? '' : ' (no plan of this strategy meets the SLO: its fastest is shown)';
  if (best && best.strategy !== chosen.strategy && best.sloMet && best.predicted.costPerMillionUSD < chosen.predicted.costPerMillionUSD) {
    return `${chosen.strategy} was asked for; ${best.strategy} (${best.functions} function${best.functions > 1 ? 's' : ''}) would cost `
      + `${pct(best.predicted.costPerMillionUSD / chosen.predicted.costPerMillionUSD - 1)} at the same SLO${miss}.`;
  }
  if (chosen.functions === 1) {
    if (!bestSplit) return `one function: no strategy found a split that fits the platform${miss}.`;
    const cost = bestSplit.predicted.costPerMillionUSD / chosen.predicted.costPerMillionUSD - 1;
    if (!bestSplit.sloMet) {
      return `one function: every split misses the SLO (the fastest, ${bestSplit.strategy}, takes `
        + `${bestSplit.predicted.latencyMs.toFixed(1)} ms)${miss}.`;
    }
    return `one function: the best split (${bestSplit.strategy}, ${bestSplit.functions} functions) adds `
      + `${handOffs(bestSplit)} and ${memoryChange(bestSplit, chosen)}: ${pct(cost)} cost${miss}.`;
  }
  const base = single ?? undefined;
  if (!base) return `${chosen.functions} functions: the model does not fit one function on this platform${miss}.`;
  if (!base.sloMet) {
    return `${chosen.functions} functions: one function cannot meet the SLO (it takes ${base.predicted.latencyMs.toFixed(1)} ms); `
      + `splitting adds ${handOffs(chosen)}${miss}.`;
  }
  const cost = chosen.predicted.costPerMillionUSD / base.predicted.costPerMillionUSD - 1;
  return `splitting into ${chosen.functions} functions adds ${handOffs(chosen)} and ${memoryChange(chosen, base)}: `
    + `${pct(cost)} cost vs one function${miss}.`;
}

/** What a split adds on the request's path and bill: its hand-offs and, priced in its cost, its entry. */
function handOffs(a: PlanAlternative): string {
  const entry = a.predicted.entryCostPerMillionUSD;
  return `${a.handOffs.count} hand-off${a.handOffs.count === 1 ? '' : 's'} of ${mb(a.handOffs.bytes)}`
    + (entry !== undefined ? `, an entry ($${entry.toFixed(entry < 1 ? 4 : 2)} per million requests)` : '');
}

function memoryChange(split: PlanAlternative, single: PlanAlternative): string {
  if (!(single.memoryMBs > 0)) return 'changes memory by an unknown amount';
  const d = split.memoryMBs / single.memoryMBs - 1;
  return d <= 0 ? `saves ${Math.abs(d * 100).toFixed(0)} % of memory-time` : `needs ${(d * 100).toFixed(0)} % more memory-time`;
}
