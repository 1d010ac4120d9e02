/**
 * The live status page of `mopar serve` (GET /): each model's function DAG with its instances (cold = starting,
 * warm = idle, busy = invoking), per-function invocations, duration, memory and queue depth, and SLO attainment
 * where an SLO is known (applications of a batched model). The page polls GET /status.json once a second and
 * renders with lit-html, served from node_modules (no CDN: it works offline).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { ServedModel } from './model.js';

export type InstanceState = 'cold' | 'warm' | 'busy';

export interface FunctionStatus {
  name: string;
  group: string;
  memoryMB: number;
  vcpu: number;
  instances: Array<{ id: number; state: InstanceState }>;
  invocations: number;
  meanMs: number;
  peakRssMB: number;
  queueDepth: number;
  /** Instances kept started whatever the traffic (the warm minimum; 0: none). */
  minInstances: number;
  /** The latest cold start of this function and its phases (process start, weights fetch, session creation). */
  lastColdStart?: ColdStartPhases;
}

export interface ColdStartPhases { totalMs: number; spawnMs: number; fetchMs: number; loadMs: number }

export interface ModelStatus {
  name: string;
  strategy: string;
  platform: string;
  /** Groups in execution order; functions of one group run in parallel. */
  groups: Array<{ group: string; functions: FunctionStatus[] }>;
  /** Per application with an SLO (batched models): answered requests and the share within the SLO. */
  slo: Array<{ app: string; sloMs: number; requests: number; attainment: number | null }>;
}

export interface StatusSnapshot { at: string; models: ModelStatus[] }

/** What the gateway knows per function and per application, read when the page polls. */
export interface StatusSources {
  totals(model: string, fn: string): { invocations: number; meanMs: number; peakRssMB: number; lastColdStart?: ColdStartPhases };
  apps(model: string): Array<{ app: string; sloMs: number; requests: number; misses: number }>;
}

export function statusSnapshot(models: Iterable<ServedModel>, src: StatusSources): StatusSnapshot {
  const out: ModelStatus[] = [];
  for (const m of models) {
    const groups: ModelStatus['groups'] = [];
    for (const f of m.manifest.functions) {
      const pool = m.pools.get(f.name)!;
      const t = src.totals(m.name, f.name);
      const fs: FunctionStatus = {
        name: f.name, group: f.group, memoryMB: f.memoryMB, vcpu: f.vcpu,
        instances: pool.instances.filter((i) => !i.dead).map((i) => ({ id: i.id, state: !i.isReady ? 'cold' : i.active > 0 ? 'busy' : 'warm' })),
        invocations: t.invocations, meanMs: t.meanMs, peakRssMB: t.peakRssMB, queueDepth: pool.queueDepth, minInstances: pool.minInstances,
        ...(t.lastColdStart ? { lastColdStart: t.lastColdStart } : {}),
      };
      const g = groups.find((x) => x.group === f.group);
      if (g) g.functions.push(fs); else groups.push({ group: f.group, functions: [fs] });
    }
    out.push({
      name: m.name, strategy: m.manifest.strategy, platform: m.manifest.platform, groups,
      slo: src.apps(m.name).map((a) => ({ app: a.app, sloMs: a.sloMs, requests: a.requests, attainment: a.requests ? 1 - a.misses / a.requests : null })),
    });
  }
  return { at: new Date().toISOString(), models: out };
}

let litHtml: string | undefined;
/** lit-html's single-file ES module, read once from node_modules. */
export function litHtmlSource(): string {
  if (litHtml === undefined) {
    // The package exports only '.', resolved for node to node/lit-html.js; the browser build sits at the root.
    let root = dirname(createRequire(import.meta.url).resolve('lit-html'));
    while (!existsSync(join(root, 'package.json'))) root = dirname(root);
    litHtml = readFileSync(join(root, 'lit-html.js'), 'utf8');
  }
  return litHtml;
}

export const STATUS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mopar serve</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
  h1 { font-size: 18px; margin: 0 0 .2em; } h2 { font-size: 16px; margin: 1.2em 0 .4em; }
  .sub { color: #666; font-size: 12px; }
  .dag { display: flex; align-items: center; gap: .4em; overflow-x: auto; padding: .4em 0; }
  .group { display: flex; flex-direction: column; gap: .4em; }
  .arrow { color: #999; font-size: 20px; }
  .fn { background: #fff; border: 1px solid #ccc; border-radius: 6px; padding: .5em .7em; min-width: 11em; }
  .fn b { font-size: 13px; } .fn .row { font-size: 12px; color: #444; white-space: nowrap; }
  .inst { display: inline-block; width: .9em; height: .9em; border-radius: 50%; margin-right: .25em; vertical-align: middle; }
  .warm { background: #2e9e4f; } .busy { background: #e8912d; } .cold { background: #b9bec4; }
  .legend span { margin-right: 1em; font-size: 12px; }
  table.slo { border-collapse: collapse; font-size: 12px; } table.slo td, table.slo th { border: 1px solid #ddd; padding: 2px 6px; }
</style></head>
<body>
<h1>mopar serve</h1>
<div class="sub" id="updated">loading…</div>
<div class="legend"><span><i class="inst warm"></i>warm (idle)</span><span><i class="inst busy"></i>busy</span><span><i class="inst cold"></i>cold (starting)</span></div>
<main id="app"></main>
<script type="module">
import { html, render } from '/status/lit-html.js';
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const fn = (f) => html\`<div class="fn" data-function=\${f.name}>
  <b>\${f.name}</b>
  <div class="row" data-instances>\${f.instances.length
    ? f.instances.map((i) => html\`<i class="inst \${i.state}" title="instance \${i.id}: \${i.state}" data-state=\${i.state}></i>\`)
    : html\`<span>no instance</span>\`}</div>
  <div class="row">\${f.memoryMB} MB · \${f.vcpu} vCPU</div>
  <div class="row">invocations <span data-invocations>\${f.invocations}</span> · mean <span data-mean-ms>\${fmt(f.meanMs)}</span> ms</div>
  <div class="row">peak RSS \${fmt(f.peakRssMB, 0)} MB · queue <span data-queue>\${f.queueDepth}</span>\${f.minInstances ? html\` · warm minimum <span data-min-instances>\${f.minInstances}</span>\` : ''}</div>
  \${f.lastColdStart ? html\`<div class="row" data-cold-start title="last cold start: process start + weights fetch + session load">cold \${fmt(f.lastColdStart.totalMs, 0)} ms = \${fmt(f.lastColdStart.spawnMs, 0)} + \${fmt(f.lastColdStart.fetchMs, 0)} + \${fmt(f.lastColdStart.loadMs, 0)}</div>\` : ''}
</div>\`;
const model = (m) => html\`<section data-model=\${m.name}>
  <h2>\${m.name} <span class="sub">\${m.groups.reduce((n, g) => n + g.functions.length, 0)} function(s), strategy \${m.strategy}, \${m.platform}</span></h2>
  <div class="dag">\${m.groups.map((g, i) => html\`\${i ? html\`<span class="arrow">→</span>\` : ''}<div class="group" data-group=\${g.group}>\${g.functions.map(fn)}</div>\`)}</div>
  \${m.slo.length ? html\`<table class="slo"><tr><th>application</th><th>SLO ms</th><th>requests</th><th>within SLO</th></tr>
    \${m.slo.map((a) => html\`<tr data-app=\${a.app}><td>\${a.app}</td><td>\${a.sloMs}</td><td>\${a.requests}</td><td>\${a.attainment === null ? '—' : fmt(a.attainment * 100) + ' %'}</td></tr>\`)}</table>\`
    : html\`<div class="sub">SLO attainment: no SLO known for this model (batched applications carry one)</div>\`}
</section>\`;
async function tick() {
  try {
    const s = await (await fetch('/status.json', { cache: 'no-store' })).json();
    render(html\`\${s.models.map(model)}\`, document.getElementById('app'));
    document.getElementById('updated').textContent = 'updated ' + new Date(s.at).toLocaleTimeString() + ' (refreshes every second)';
  } catch (e) {
    document.getElementById('updated').textContent = 'gateway unreachable: ' + e.message;
  }
  setTimeout(tick, 1000);
}
tick();
</script>
</body></html>
`;
