import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allclose, buildGraph, inspectGraph, loadModel, openSession, randomInputs, runSession } from '../../src/graph/index.js';
import { writeZooModel, ZOO_NAMES, BATCH_DIM } from '../../src/zoo/index.js';
import { row, stackFeeds } from '../fixtures/batch.js';

const dir = mkdtempSync(join(tmpdir(), 'mopar-zoo-dyn-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

for (const name of ZOO_NAMES) {
  test(`${name} tiny --batch dynamic: a batch of 3 equals 3 batch-1 runs, same weights as batch 1`, async () => {
    const file = join(dir, `${name}.onnx`);
    const r = writeZooModel(name, file, { tiny: true, batch: 'dynamic' });
    // Only a few int64 shape elements are added (ViT's class-token Expand): the weights are the same.
    const extra = r.params - writeZooModel(name, join(dir, `${name}-1.onnx`), { tiny: true }).params;
    assert.ok(extra >= 0 && extra <= 8, `${extra} more parameter elements`);
    const g = buildGraph(loadModel(file).proto);
    assert.equal(inspectGraph(g).params, r.params);
    for (const i of [...g.inputs, ...g.outputs]) assert.equal(g.tensors.get(i)!.shape![0], BATCH_DIM, `${i} dim 0`);
    const one = Object.fromEntries(g.inputs.map((i) => [i, [1, ...(g.tensors.get(i)!.shape!.slice(1) as number[])]]));
    const samples = [11, 12, 13].map((seed) => randomInputs(g, one, seed));
    const session = await openSession(file, { optimization: 'disabled' });
    try {
      const batched = await runSession(session, stackFeeds(samples));
      for (const [i, s] of samples.entries()) {
        const single = await runSession(session, s);
        for (const o of g.outputs) {
          assert.equal(batched[o]!.dims[0], 3);
          const c = allclose(row(batched[o]!, i), single[o]);
          assert.ok(c.ok, `${o} row ${i}: max abs ${c.maxAbsErr} (atol ${c.atol})`);
        }
      }
    } finally {
      await session.release();
    }
  });
}
