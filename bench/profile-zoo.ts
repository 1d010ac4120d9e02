/**
 * Profiles full-size zoo models one at a time and prints the profiler's report table: measured ms, predicted vs
 * measured peak RSS, fluctuation, RD types with shares, layer count, profiling time.
 *
 *   node --import tsx bench/profile-zoo.ts [--models a,b] [--runs N] [--out DIR] [--zoo DIR] [--no-cpu-scaling] [--keep]
 *
 * Models are written to ZOO/NAME.onnx first when missing (and removed afterwards unless --keep). Heavy: one
 * model at a time; timings are only as quiet as the machine.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { profileModel, saveProfile, type Profile } from '../src/profile/index.js';
import { writeZooModel, ZOO_NAMES } from '../src/zoo/index.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string' }, runs: { type: 'string', default: '5' }, out: { type: 'string', default: '/tmp/mopar-profiles' },
    zoo: { type: 'string', default: '/tmp/mopar-profile-zoo' },
    'no-cpu-scaling': { type: 'boolean', default: false }, keep: { type: 'boolean', default: false },
  },
});
const names = values.models ? values.models.split(',') : [...ZOO_NAMES];
mkdirSync(values.out!, { recursive: true });
mkdirSync(values.zoo!, { recursive: true });
const rows: string[] = [];
const header = '| model | measured ms (1t) | CPU ms/run | peak RSS measured MB | predicted MB (err) | default-malloc peak MB | fluctuation (per layer) | RD types (time share) | layers | profiling s |';
console.log(header);
for (const name of names) {
  const file = join(values.zoo!, `${name}.onnx`);
  const wrote = !existsSync(file);
  if (wrote) writeZooModel(name, file);
  try {
    const p: Profile = await profileModel(file, {
      runs: Number(values.runs), cpuScaling: !values['no-cpu-scaling'],
      onProgress: (s, i, n) => process.stderr.write(`${name} [${i}/${n}] ${s}\n`),
    });
    saveProfile(p, join(values.out!, `${name}.json`));
    const m = p.memory;
    const err = m.predictedPeakRssMB / m.measuredPeakRssMB - 1;
    const row = `| ${name} | ${p.measuredMs.toFixed(1)} | ${p.measuredCpuMs?.toFixed(1)} | ${m.measuredPeakRssMB.toFixed(0)} | ${m.predictedPeakRssMB.toFixed(0)} (${err >= 0 ? '+' : ''}${(100 * err).toFixed(1)}%) | ` +
      `${m.measuredPeakRssDefaultMallocMB?.toFixed(0)} | ${(100 * m.fluctuation).toFixed(1)}% (${(100 * (m.layerFluctuation ?? 0)).toFixed(1)}%) | ${p.rdOps.map((o) => `${o} ${(100 * (p.opShare[o] ?? 0)).toFixed(1)}%`).join(', ')} | ${p.layers.length} | ${p.profilingSeconds.toFixed(1)} |`;
    rows.push(row);
    console.log(row);
  } catch (err) {
    console.log(`| ${name} | failed: ${(err as Error).message} |`);
  } finally {
    if (wrote && !values.keep) rmSync(file, { force: true });
  }
}
writeFileSync(join(values.out!, 'table.md'), [header, ...rows].join('\n') + '\n');
