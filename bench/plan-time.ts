/**
 * Plan time from a saved profile (issue 5: ≤ 1 s for any zoo model), the way `mopar plan --profile` pays it:
 * every plan gets a freshly opened graph, so the planner's measured split work is never reused from an
 * earlier plan. Reads MODEL.onnx + MODEL.profile.json from --dir (bench/partition-matrix.ts leaves them there).
 *   node --import tsx bench/plan-time.ts --dir /tmp/mopar-partition-matrix [--models a,b] [--strategies mopar,gillis] [--out f.json]
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ZOO_NAMES } from '../src/zoo/index.js';
import { openModel } from '../src/graph/index.js';
import { loadProfile } from '../src/profile/index.js';
import { planPartition, PLATFORMS } from '../src/plan/index.js';
import { errorMessage, median } from '../src/core/index.js';

const { values } = parseArgs({ options: {
  dir: { type: 'string', default: '/tmp/mopar-partition-matrix' },
  models: { type: 'string', default: ZOO_NAMES.join(',') },
  platforms: { type: 'string', default: PLATFORMS.map((p) => p.id).join(',') },
  strategies: { type: 'string', default: 'mopar,unsplit,uniform:3,layerwise,gillis,amps' },
  out: { type: 'string' },
} });

const rows: Array<{ model: string; platform: string; strategy: string; planMs?: number; layers?: number; error?: string }> = [];
for (const model of values.models!.split(',')) {
  const file = join(values.dir!, `${model}.onnx`);
  const pfile = join(values.dir!, `${model}.profile.json`);
  if (!existsSync(file) || !existsSync(pfile)) { console.error(`${model}: no model or profile in ${values.dir}, skipped`); continue; }
  const profile = loadProfile(pfile);
  for (const platform of values.platforms!.split(',')) {
    for (const strategy of values.strategies!.split(',')) {
      const { graph } = await openModel(file, profile.inputShapes);
      try {
        const t = performance.now();
        planPartition(profile, { platform, strategy, allowSloMiss: true, graph });
        rows.push({ model, platform, strategy, planMs: performance.now() - t, layers: profile.layers.length });
      } catch (err) {
        rows.push({ model, platform, strategy, error: errorMessage(err) });
      }
    }
  }
  const mine = rows.filter((r) => r.model === model && r.planMs !== undefined);
  const worst = mine.reduce((w, r) => (r.planMs! > w.planMs! ? r : w), mine[0]!);
  console.log(`${model.padEnd(16)} ${String(profile.layers.length).padStart(4)} layers  worst ${worst.planMs!.toFixed(0).padStart(5)} ms `
    + `(${worst.platform} ${worst.strategy})  median ${median(mine.map((r) => r.planMs!)).toFixed(0)} ms`);
}
if (values.out) writeFileSync(values.out, `${JSON.stringify(rows, null, 2)}\n`);
