/**
 * A deployed slice with `--weights s3` fetches its weights at start and removes the download once its session holds
 * them: /tmp (Lambda's ephemeral storage, a container's emptyDir) keeps no second copy for the instance's life.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder, saveModel } from '../../src/graph/index.js';
import { memoryStore } from '../../src/runtime/index.js';
import { loadHost } from '../../src/deploy/function-runtime/host.js';

test('fetched weights: the slice answers, and the download folder is gone once the session is open', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mopar-host-weights-'));
  const scratch = mkdtempSync(join(tmpdir(), 'mopar-host-tmp-'));
  const savedTmp = process.env.TMPDIR;
  const restoreTmp = () => { if (savedTmp === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = savedTmp; };
  try {
    const b = new GraphBuilder('relu');
    const x = b.input('x', 'float32', [1, 4]);
    const y = b.node('Relu', [x], {}, { name: 'r' });
    b.outputs.length = 0;
    b.output(y, 'float32', [1, 4]);
    saveModel(b.model(17), join(dir, 'src.onnx'));
    const store = memoryStore();
    await store.put('bucket', 'weights/s00/abc/model.onnx', readFileSync(join(dir, 'src.onnx')));
    writeFileSync(join(dir, 'function.json'), JSON.stringify({
      name: 's00', model: 'model.onnx', inputs: [x], outputs: [y], threads: 1,
      tensors: { [x]: { dtype: 'float32', shape: [1, 4] }, [y]: { dtype: 'float32', shape: [1, 4] } },
      weights: { keys: ['weights/s00/abc/model.onnx'], main: 'weights/s00/abc/model.onnx' },
    }));
    // Downloads go under os.tmpdir(), which follows TMPDIR: a folder of this test's own.
    process.env.TMPDIR = scratch;
    const host = loadHost(dir, { env: { MOPAR_WEIGHTS_BUCKET: 'bucket' }, weightsStore: store });
    await host.core();
    restoreTmp();
    // Only the download is ours to check (onnxruntime's own scratch files may appear beside it).
    assert.deepEqual(readdirSync(scratch).filter((f) => f.startsWith('mopar-weights-')), [], 'the download folder is removed once the session holds the weights');
    const out = await host.invoke({ [x]: { dtype: 'float32', dims: [1, 4], data: Float32Array.from([-1, 2, -3, 4]) } });
    assert.deepEqual(Array.from(out[y]!.data as Float32Array), [0, 2, 0, 4]);
  } finally {
    restoreTmp();
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
});
