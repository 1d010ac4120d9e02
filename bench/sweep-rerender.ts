/**
 * Re-renders a sweep report (report.md, report.html, charts, sweep.json) from its sweep.json with the current
 * report code, recomputing each split bound under the current rule from the run's own profiles (DIR/profiles, or
 * --profiles P where the committed report left them out). Nothing is measured again: every measured figure is
 * the one in sweep.json.
 * Run: node --import tsx bench/sweep-rerender.ts DIR [--profiles P]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { splitBoundRatio, writeSweepReport, type SweepReport } from '../src/bench/index.js';
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
await writeSweepReport(dir, report);
