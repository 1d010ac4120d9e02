/** The plan as text a person reads: one row per function, then totals against the unsplit function. */
import type { Plan } from './types.js';
import { loadWarning } from '../core/index.js';

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const money = (x: number) => (Number.isFinite(x) ? `$${x.toFixed(4)}` : 'n/a');
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

export function renderPlan(plan: Plan): string {
  const rows = plan.functions.map((f) => [
    f.name,
    f.group,
    f.layers[0] === f.layers[1] ? `${f.layers[0]}` : `${f.layers[0]}–${f.layers[1]}`,
    f.nodes.length,
    f.split ? `${f.split.kind} ${f.split.index + 1}/${f.split.parts}` : '',
    f.similarity?.dominantOp ?? '',
    f.memoryMB,
    f.vcpu,
    ms(f.predicted.ms),
    ms(f.predicted.handInMs ?? 0),
    money(f.predicted.costPerMillionUSD),
  ]);
  const u = plan.unsplit;
  const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
  const groups = new Set(plan.functions.map((f) => f.group)).size;
  return [
    `${plan.model}  on ${plan.platform}  strategy ${plan.strategy}  SLO ${plan.sloMs.toFixed(1)} ms`
      + `${plan.sloMet === false ? '  (NOT MET: fastest plan shown)' : ''}`,
    '',
    table(['function', 'group', 'layers', 'nodes', 'split', 'dominant', 'memory MB', 'vCPU', 'ms', 'hand-in ms', '$/1M req'], rows),
    '',
    table(['', 'latency ms', '$/1M req', 'functions', 'memory MB', 'vCPU', 'efficiency'], [
      ['plan', ms(plan.predicted.latencyMs), money(plan.predicted.costPerMillionUSD), `${plan.functions.length} in ${groups} groups`,
        Math.max(...plan.functions.map((f) => f.memoryMB)), Math.max(...plan.functions.map((f) => f.vcpu)),
        plan.predicted.efficiency.toFixed(3)],
      ['unsplit', ms(u.latencyMs), money(u.costPerMillionUSD), '1', Number.isFinite(u.memoryMB) ? u.memoryMB : 'n/a',
        Number.isFinite(u.vcpu) ? u.vcpu : 'n/a', ''],
      ['plan / unsplit', ratio(plan.predicted.latencyMs, u.latencyMs), ratio(plan.predicted.costPerMillionUSD, u.costPerMillionUSD), '', '', '', ''],
    ]),
    ...(plan.predicted.entryCostPerMillionUSD !== undefined ? [
      `plan cost ${money(plan.predicted.costPerMillionUSD)} per 1M requests, of which entry ${money(plan.predicted.entryCostPerMillionUSD)}`
        + ` (a deployment of more than one function runs one for each whole request; the unsplit function has none)`,
    ] : []),
    '',
    ...(plan.predicted.coldLatencyMs !== undefined ? [
      `cold request (first after idle, every function started as it enters): ${ms(plan.predicted.coldLatencyMs)} ms`
        + `, unsplit ${u.coldLatencyMs !== undefined ? ms(u.coldLatencyMs) : 'n/a'} ms (plan / unsplit ${ratio(plan.predicted.coldLatencyMs, u.coldLatencyMs ?? NaN)})`
        + (plan.coldSloMs !== undefined ? `; cold SLO ${plan.coldSloMs.toFixed(0)} ms ${plan.coldSloMet ? 'met' : 'NOT MET'}` : ''),
    ] : []),
    `edges: ${plan.edges.length} tensors across cuts (${summariseTransports(plan)});  planned in ${plan.planMs.toFixed(1)} ms`,
    ...(plan.alternatives ? ['', renderAlternatives(plan)] : []),
    ...(plan.notes ?? []).map((n) => `note: ${n}`),
    ...(plan.profileLoad?.loaded ? [`warning: ${loadWarning(plan.profileLoad, 'the profiled timings this plan rests on')}`] : []),
  ].join('\n');
}

/** The best plan per strategy at the plan's SLO, preferred first, and why the chosen one wins. */
export function renderAlternatives(plan: Pick<Plan, 'alternatives' | 'why' | 'strategy' | 'sloMs'>): string {
  const alts = plan.alternatives ?? [];
  const cheapest = alts.find((a) => a.sloMet)?.predicted.costPerMillionUSD;
  const rows = alts.map((a) => [
    `${a.strategy === plan.strategy ? '* ' : '  '}${a.strategy}`,
    `${a.functions}${a.groups !== a.functions ? ` in ${a.groups} groups` : ''}`,
    ms(a.predicted.latencyMs),
    a.sloMet ? 'yes' : 'no',
    money(a.predicted.costPerMillionUSD),
    cheapest && a.sloMet ? `${((a.predicted.costPerMillionUSD / cheapest - 1) * 100).toFixed(1)} %` : '',
    a.predicted.coldLatencyMs !== undefined ? `${ms(a.predicted.coldLatencyMs)}${a.coldSloMet === false ? ' (over cold SLO)' : ''}` : '',
  ]);
  return [
    `alternatives at SLO ${plan.sloMs.toFixed(1)} ms (best plan per strategy; * = this plan):`,
    table(['strategy', 'functions', 'latency ms', 'meets SLO', '$/1M req', 'vs cheapest', 'cold ms'], rows),
    ...(plan.why ? [`why: ${plan.why}`] : []),
  ].join('\n');
}

function summariseTransports(plan: Plan): string {
  const by = new Map<string, number>();
  for (const e of plan.edges) by.set(e.transport, (by.get(e.transport) ?? 0) + 1);
  return [...by].map(([t, c]) => `${c} ${t}`).join(', ') || 'none';
}
