import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { allclose } from '../../src/graph/compare.js';
import { openSession, runSession } from '../../src/graph/runner.js';
import { partitionModel } from '../../src/partition/index.js';
import { DEFAULT_GATEWAY, Gateway, httpRequest, infer, modelMetadata, randomFeeds } from '../../src/runtime/index.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { cleanup, tmpDir } from './helpers.js';

let dir = '';
let model = '';
let gw: Gateway;
let base = '';
let functions = 0;

before(async () => {
  dir = tmpDir('batching-partitioned');
  model = join(dir, 'mobilenetv2.onnx');
  writeZooModel('mobilenetv2', model, { tiny: true, batch: 'dynamic' });
  // Three slices in a chain: every batch is one invocation of each.
  const built = await partitionModel(model, { plan: { platform: 'aws-lambda', strategy: 'uniform:3', allowSloMiss: true }, outDir: join(dir, 'fns') });
  functions = built.manifest!.functions.length;
  gw = new Gateway({ ...DEFAULT_GATEWAY });
  gw.addModel(join(dir, 'fns'), 'p');
  // Loose SLOs at a light load: batches fill (4 concurrent requests per group) before any deadline.
  gw.enableBatching('p', { groups: [
    { apps: [{ name: 'search', sloMs: 30_000 }], maxBatch: 4, timeoutMs: 3_000 },
    { apps: [{ name: 'tagging', sloMs: 40_000 }], maxBatch: 4, timeoutMs: 3_000 },
  ] });
  base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
});
after(async () => { await gw?.close(); cleanup(dir); });

test('batching a partitioned chain: one invocation per function per batch; each answer equals the unsplit model\'s', async () => {
  assert.ok(functions >= 2, `${functions} functions`);
  const meta = await modelMetadata(base, 'p');
  // The slices keep the symbolic batch dim (a batch-1 slice would fail every batch of more than one).
  assert.ok(meta.inputs.every((t) => t.shape[0] === -1), JSON.stringify(meta.inputs));
  const apps = ['search', 'tagging', 'search', 'tagging', 'search', 'tagging', 'search', 'tagging'];
  const inputs = apps.map((_, i) => randomFeeds(meta, 300 + i));
  const replies = await Promise.all(apps.map((app, i) => infer(base, 'p', inputs[i]!, { app })));
  const session = await openSession(model, { threads: 1 });
  try {
    for (let i = 0; i < apps.length; i++) {
      const want = await runSession(session, inputs[i]!);
      for (const name of Object.keys(want)) {
        const c = allclose(replies[i]!.outputs[name], want[name]);
        assert.ok(c.ok, `${apps[i]} request ${i}, output ${name}: ${c.mismatch ?? `max abs err ${c.maxAbsErr}`}`);
      }
    }
  } finally {
    await session.release();
  }
  const metrics = (await httpRequest(`${base}/metrics`)).body.toString();
  const count = (group: string) => Number(new RegExp(`mopar_batch_size_count\\{model="p",group="${group}"\\} (\\d+)`).exec(metrics)?.[1]);
  const sum = (group: string) => Number(new RegExp(`mopar_batch_size_sum\\{model="p",group="${group}"\\} (\\d+)`).exec(metrics)?.[1]);
  const batches = count('search') + count('tagging');
  assert.equal(sum('search') + sum('tagging'), apps.length);
  assert.ok(batches < apps.length, `${batches} batches for ${apps.length} requests: no batch formed\n${metrics}`);
  const stats = JSON.parse((await httpRequest(`${base}/v2/models/p/stats`)).body.toString());
  assert.equal(stats.functions.length, functions);
  for (const f of stats.functions) assert.equal(f.invocations, batches, `${f.name}: ${f.invocations} invocations for ${batches} batches`);
  assert.doesNotMatch(metrics, /mopar_app_slo_misses_total\{[^}]*\} [1-9]/);
});
