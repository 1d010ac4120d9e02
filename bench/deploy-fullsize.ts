/**
 * A full-size check of `mopar deploy`: deploys a built directory for all three targets, validates what the
 * platforms' tools would read (YAML parses, ASL validates), then runs each deployment with `local-run` (every
 * function from its generated files, in its own process under its limits; Lambda under lambda-local with the
 * state machine interpreted) and compares its answers with the unsplit model. Timings are this machine's: the
 * start of every function, the first (cold-path) request and two warm ones, with the load average.
 * Run: node --import tsx bench/deploy-fullsize.ts MODEL.onnx BUILT_DIR
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { deploy, localRun, type DeployTarget } from '../src/deploy/index.js';
import { infer } from '../src/runtime/index.js';
import { allclose, openModel, openSession, randomInputs, runSession } from '../src/graph/index.js';

const [model, built] = process.argv.slice(2);
if (!model || !built) throw new Error('usage: bench/deploy-fullsize.ts MODEL.onnx BUILT_DIR');
const req = createRequire(import.meta.url);
const validateAsl = req('asl-validator') as (d: unknown) => { isValid: boolean; errors: unknown[] };
const ms = (t: number) => `${(performance.now() - t).toFixed(0)} ms`;
const out = mkdtempSync(join(tmpdir(), 'mopar-fullsize-'));
console.log(`cpu: ${cpus()[0]?.model} × ${cpus().length}; load average at start ${loadavg()[0]!.toFixed(2)}`);
try {
  const { graph, inputShapes } = await openModel(model);
  const feeds = randomInputs(graph, inputShapes, 3);
  let t = performance.now();
  const s = await openSession(model);
  const expected = await runSession(s, feeds);
  await s.release();
  console.log(`unsplit: ${ms(t)} (load + 1 run)`);
  const name = (JSON.parse(readFileSync(join(built, 'manifest.json'), 'utf8')) as { model: string }).model;

  for (const target of ['lambda', 'openfaas', 'knative'] as DeployTarget[]) {
    t = performance.now();
    const dir = join(out, target);
    const r = await deploy(built, dir, { target });
    console.log(`deploy ${target}: ${ms(t)}, ${r.files.length} files, ${r.functions.map((f) => `${f.name}:${f.packaging}${f.packageBytes ? `(${(f.packageBytes / 2 ** 20).toFixed(0)} MiB)` : ''}`).join(' ')}`);
    if (target === 'lambda') console.log(`  asl-validator: ${JSON.stringify(validateAsl(JSON.parse(readFileSync(join(dir, 'statemachine', 'pipeline.asl.json'), 'utf8'))).errors)}`);
    if (target === 'knative') {
      const docs = parseAllDocuments(readFileSync(join(dir, 'knative.yaml'), 'utf8'));
      console.log(`  knative.yaml: ${docs.length} documents, ${docs.flatMap((d) => d.errors).length} parse errors`);
    }
    const run = await localRun(dir);
    try {
      console.log(`  local-run: entry answering after ${run.startMs.toFixed(0)} ms (${run.functions.map((f) => `${f.name} ${f.readyMs.toFixed(0)} ms`).join(', ')})${run.notes.length ? `; ${run.notes.join('; ')}` : ''}`);
      for (const which of ['first', 'warm', 'warm']) {
        t = performance.now();
        const reply = await infer(run.url, name, feeds);
        const worst = Object.entries(expected).map(([k, want]) => allclose(reply.outputs[k], want)).find((c) => !c.ok);
        console.log(`  ${which} request: ${ms(t)}, ${worst ? `NOT allclose: ${JSON.stringify(worst)}` : 'allclose'} (load ${loadavg()[0]!.toFixed(2)})`);
      }
    } finally {
      await run.close();
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(0);
