// The README's results section is what the committed reports render (issue 27): no measuring, only rendering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { checkResults, loadResultsData, renderResults, readmeResults, replaceResults } from '../../src/bench/index.js';
import { sparseSentence } from '../../src/bench/results-readme.js';
import { sweepSection } from '../../src/bench/results-sweep.js';

const readme = readFileSync('README.md', 'utf8');
const rendered = renderResults(loadResultsData('.'));

test('README results section is exactly what docs/results renders', () => {
  const r = checkResults(readme, rendered);
  assert.ok(r.ok, `README differs from docs/results (run npm run results):\n${r.diff.join('\n')}`);
});

test('a changed number in the README fails the check, naming the line', () => {
  const body = readmeResults(readme)!;
  const changed = replaceResults(readme, body.replace(/\b(\d+) measured cells\b/, (_, n) => `${Number(n) + 1} measured cells`));
  assert.notEqual(changed, readme);
  const r = checkResults(changed, rendered);
  assert.equal(r.ok, false);
  const line = changed.split('\n').findIndex((l) => /\d+ measured cells/.test(l) && !readme.split('\n').includes(l)) + 1;
  assert.match(r.diff[0]!, new RegExp(`README.md line ${line}\\b`));
  assert.ok(r.diff.some((l) => l.startsWith('- ') && l.includes('measured cells')));
});

test('a README without the markers fails the check', () => {
  assert.equal(checkResults('# no results here\n', rendered).ok, false);
});

test('sparse: a report with deadlinesMetOfWarmFeasible renders it, the idle cost and its command; a --rows report renders without the chain', () => {
  const old = loadResultsData('.').sparse;
  const before = sparseSentence(old);
  assert.doesNotMatch(before, /warm function meets/); // the committed report predates the field: rendered as always
  const rows = old.rows.map((r: Record<string, unknown>, i: number) => ({ ...r, warmFeasible: 500, deadlinesMetOfWarmFeasible: i === 1 ? 0.994 : 0.2 }));
  const fresh = { ...old, command: 'node --import tsx bench/sparse.ts --requests 500 --rows unsplit-histogram,unsplit-fixed', rows: rows.slice(0, 2) };
  const s = sparseSentence(fresh);
  assert.match(s, /--rows unsplit-histogram,unsplit-fixed/);
  assert.match(s, /99\.4 % of the 500 a warm function meets/);
  assert.match(s, /20\.0 % of the 500 a warm function meets/);
  const hist = rows[1];
  assert.ok(s.includes(`$${((hist.cost.idleUSD / hist.answered) * 1e6).toFixed(0)} idle`), s);
  assert.doesNotMatch(s, /function chain/);
  assert.match(s, /99 % of warm-feasible deadlines is reached by the histogram policy/);
  const missed = sparseSentence({ ...fresh, rows: [{ ...rows[1], deadlinesMetOfWarmFeasible: 0.9 }] });
  assert.match(missed, /is not reached by the histogram policy \(90\.0 % of 500\)/);
  assert.doesNotMatch(missed, /fixed keep-alive/);
  assert.throws(() => sparseSentence({ ...fresh, rows: rows.slice(0, 1) }), /no unsplit histogram row/);
});

test('sparse: a warm-minimum row is stated with its cost, is not taken for the fixed keep-alive, and gets its own verdict', () => {
  const old = loadResultsData('.').sparse;
  const hist = { ...old.rows[1], warmFeasible: 500, deadlinesMetOfWarmFeasible: 0.966 };
  const min = { ...old.rows[0], strategy: 'unsplit, warm minimum 1', keepAlive: 'fixed', minInstances: 1, warmFeasible: 500, deadlinesMetOfWarmFeasible: 0.998, deadlineMet: 0.998,
    cost: { ...old.rows[0].cost, perRequestUSD: 12.5e-6 } };
  const s = sparseSentence({ ...old, command: 'node --import tsx bench/sparse.ts --rows unsplit-histogram,unsplit-warm-min', rows: [hist, min] });
  assert.match(s, /warm minimum of 1[^;]*meets 100 % \(99\.8 % of the 500 a warm function meets\) at \$13 per million/);
  assert.doesNotMatch(s, /with the fixed keep-alive/); // the warm-minimum row keeps alive 'fixed' but is not the fixed baseline
  assert.match(s, /not reached by the histogram policy \(96\.6 % of 500\)[^;]*; it is reached by the warm minimum \(99\.8 % of 500\)/);
});

test('cold: a report with composed figures renders them, the target count and the validation; one without renders as before', () => {
  const d = loadResultsData('.');
  // A report from before the composed figures (no row has one, no validation): the concurrent sentence.
  const old = { ...d.coldStart, validation: undefined, rows: d.coldStart.rows.map((r: Record<string, unknown>) => ({ ...r, composed: undefined })) };
  assert.doesNotMatch(renderResults({ ...d, coldStart: old }), /cold-started alone/);
  const composedMs: Record<string, number> = { unsplit: 8000, mopar: 7900, 'mopar --cold-slo-ms': 3900 };
  // Warm cost: VGG-16's cold plan 1.05× its unsplit (within 1.10×), every other model's 1.2×.
  const rows = d.coldStart.rows.map((r: { strategy: string; model: string; measured: Record<string, unknown> }) => ({
    ...r, composed: { measuredAs: 'composed', coldMs: r.model === 'vgg16' ? composedMs[r.strategy] : 5000 },
    measured: { ...r.measured, costPerMillionUSD: r.strategy !== 'mopar --cold-slo-ms' ? 10 : r.model === 'vgg16' ? 10.5 : 12 },
  }));
  const models = new Set(rows.map((r: { model: string }) => r.model)).size;
  const validation = { model: 'vgg16', functions: 2, bandwidthMBps: 28, servedColdMs: 10_500, composedColdMs: 10_000, ratio: 1.05 };
  const text = renderResults({ ...d, coldStart: { ...d.coldStart, rows, validation, config: { ...d.coldStart.config, sloFactor: 1.25 } } });
  assert.match(text, /VGG-16 \(528 MB\) in \d+ functions 3\.90 s vs 8\.00 s unsplit \(2\.05× lower/);
  assert.match(text, new RegExp(`for 1 of ${models} models \\(VGG-16\\)`));
  assert.match(text, /served cold 10\.50 s vs composed 10\.00 s \(served ÷ composed 1\.05\)/);
  assert.match(text, /--validate-model vgg16 --validate-mbps 28/);
});

test("the sweep's load is the load its cells were measured at, not the run's start or end", () => {
  const d = loadResultsData('.');
  const cells = d.sweepFull.sweep.filter((r) => r.measured && r.load);
  assert.ok(cells.length > 0);
  // A run that started loaded (a test suite finishing) but measured every cell quiet: not called loaded.
  const quiet = { ...d, sweepFull: { ...d.sweepFull, loadAverage: [9.5, 9.5] as [number, number], sweep: d.sweepFull.sweep.map((r) => (r.load ? { ...r, load: { ...r.load, loadAvg: 1.25 } } : r)) } };
  const para = sweepSection(quiet)[0]!;
  assert.match(para, /not otherwise loaded \(load average 1\.25\) while its cells were measured/);
  // Cells measured loaded are said to be.
  const loaded = { ...quiet, sweepFull: { ...quiet.sweepFull, loadAverage: [0.5, 0.5] as [number, number], sweep: quiet.sweepFull.sweep.map((r, i) => (r.load && i === 0 ? { ...r, load: { ...r.load, loadAvg: 7 } } : r)) } };
  assert.match(sweepSection(loaded)[0]!, /on the loaded 2-core .*load average 1\.25–7\.00: timings inflated\) while its cells were measured/);
});
