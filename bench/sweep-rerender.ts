/**
 * Re-renders a sweep report (report.md, report.html, charts, sweep.json) from its sweep.json with the current
 * report code, recomputing each split bound under the current rule from the run's own profiles (DIR/profiles, or
 * --profiles P where the committed report left them out). Nothing is measured again: every measured figure is
 * the one in sweep.json. Rows written before cells were judged on measurement are judged on their measured p50.
 * Run: node --import tsx bench/sweep-rerender.ts DIR [--profiles P]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measuredMeets, splitBoundRatio, writeSweepReport, type SweepReport } from '../src/bench/index.js';
import { getPlatform } from '../src/plan/index.js';
import { loadProfile } from '../src/profile/index.js';

const { values, positionals } = parseArgs({ options: { profiles: { type: 'string' } }, allowPositionals: true });
const [dir] = positionals;
if (!dir) throw new Error('usage: bench/sweep-rerender.ts DIR [--profiles P]');
const profiles = values.profiles ?? join(dir, 'profiles');
const report = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as SweepReport;
for (const b of report.splitBound) {
  const before = b.boundRatio ?? Infinity; // JSON null: did not fit
  b.boundRatio = splitBoundRatio(loadProfile(join(profiles, `${b.model}.json`)), getPlatform(b.platform));
  if (before !== b.boundRatio) console.log(`${b.model} × ${b.platform}: split bound ${before.toFixed(3)} → ${b.boundRatio.toFixed(3)}`);
}
// Reports from before cells were judged on measurement: `feasible` was the plan's prediction. Keep it as
// predictedSloMet and judge each measured cell on its measured p50, as new sweeps do.
let rejudged = 0;
for (const r of report.sweep) {
  if (r.predictedSloMet !== undefined) continue;
  r.predictedSloMet = r.feasible;
  r.measuredSloMet = r.measured && r.verify?.ok && r.measured.requests > 0 ? measuredMeets(r.measured.p50Ms, r.sloMs) : null;
  r.feasible = r.measuredSloMet === true;
  r.predicted = { ...r.predicted, p50Ms: r.predicted.latencyMs, p99Ms: null };
  if (r.predictedSloMet !== r.feasible) rejudged++;
}
if (rejudged) console.log(`${rejudged} cell(s) predicted to meet their SLO did not measurably meet it (now infeasible)`);
await writeSweepReport(dir, report);
