/** Tiny zoo models (CNN, transformer with int64 token ids) through the gateway: partitioned = unsplit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildZooModel } from '../../src/zoo/index.js';
import { saveModel } from '../../src/graph/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds, ownSegments } from '../../src/runtime/index.js';
import { cleanup, tmpDir, writeChunkedManifest } from './helpers.js';

for (const name of ['resnet50', 'gpt2']) {
  test(`tiny ${name}: 3 functions (compressed + shm hand-offs) through the gateway equal the unsplit model`, async () => {
    const dir = tmpDir(`zoo-${name}`);
    const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false });
    try {
      const model = join(dir, `${name}.onnx`);
      saveModel(buildZooModel(name, { tiny: true }), model);
      let i = 0;
      await writeChunkedManifest(model, join(dir, 'part'), 3, (t) => (t === 'input' ? 'inline' : (i++ % 2 ? 'shm' : 'compressed')));
      gw.addModel(join(dir, 'part'), 'part');
      gw.addModel(model, 'whole');
      const base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
      const meta = await modelMetadata(base, 'whole');
      const feeds = randomFeeds(meta, 11, 4);
      const [a, b] = await Promise.all([infer(base, 'part', feeds), infer(base, 'whole', feeds)]);
      for (const o of meta.outputs) {
        const x = a.outputs[o.name]!.data as Float32Array;
        const y = b.outputs[o.name]!.data as Float32Array;
        assert.equal(x.length, y.length);
        let worst = 0;
        for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j]! - y[j]!) / Math.max(1e-3, Math.abs(y[j]!)));
        assert.ok(worst <= 1e-4, `${o.name}: max relative error ${worst}`);
      }
      assert.equal(gw.stats('part').functions.length, 3);
    } finally {
      await gw.close();
      cleanup(dir);
    }
    assert.deepEqual(ownSegments(), []);
  });
}
