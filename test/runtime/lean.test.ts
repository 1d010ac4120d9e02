/** Memory-lean loading: big function files are served through a cached external-data rewrite, same outputs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder, saveModel } from '../../src/graph/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds, leanModelPath, sweepLeanCache } from '../../src/runtime/index.js';
import { cleanup, tmpDir } from './helpers.js';

test('a 5 MB model is loaded via its external-data rewrite; outputs equal the embedded load; stale rewrites are swept', async () => {
  const dir = tmpDir('lean');
  process.env.MOPAR_CACHE_DIR = join(dir, 'cache');
  try {
    const b = new GraphBuilder('big');
    const x = b.input('x', 'float32', [1, 1280]);
    const w = b.init('w', 'float32', [1280, 1024], Float32Array.from({ length: 1280 * 1024 }, (_, i) => Math.sin(i) * 0.01));
    b.output(b.node('MatMul', [x, w]), 'float32', [1, 1024]);
    const model = join(dir, 'big.onnx');
    saveModel(b.model(17), model);

    const outs = [];
    const rewrites: string[][] = [];
    for (const externalData of [true, false]) {
      const g = new Gateway({ ...DEFAULT_GATEWAY, externalData });
      try {
        g.addModel(model, 'big');
        const base = `http://127.0.0.1:${(await g.listen(0)).port}`;
        const r = await infer(base, 'big', randomFeeds(await modelMetadata(base, 'big'), 4));
        outs.push(Array.from(Object.values(r.outputs)[0]!.data as Float32Array));
      } finally {
        await g.close();
      }
      const cache = join(dir, 'cache', 'lean');
      rewrites.push(existsSync(cache) ? readdirSync(cache) : []);
    }
    assert.deepEqual(outs[0], outs[1]);
    // The rewrite exists because serving made it (nothing else here calls leanModelPath before): the runtime
    // loads big files through it.
    assert.equal(rewrites[0]!.length, 1, 'serving with externalData wrote one rewrite');
    assert.deepEqual(rewrites[1], rewrites[0], 'serving without it wrote none');
    const lean = leanModelPath(model);
    assert.ok(lean.includes(rewrites[0]![0]!), `${lean} is the rewrite serving made`);
    assert.notEqual(lean, model);
    assert.ok(existsSync(join(lean, '..', 'model.onnx.data')));
    assert.equal(readFileSync(join(lean, '..', 'source.txt'), 'utf8'), model);

    assert.equal(sweepLeanCache(), 0, 'a rewrite of an existing, unchanged file is not stale');
    rmSync(model);
    assert.equal(sweepLeanCache(), 1);
    assert.deepEqual(readdirSync(join(dir, 'cache', 'lean')), []);
  } finally {
    delete process.env.MOPAR_CACHE_DIR;
    cleanup(dir);
  }
});
