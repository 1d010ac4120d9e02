/**
 * An inline hand-off (the platform's invocation payload) between two functions on this machine goes through a
 * shared-memory segment when it is big, as a request's input does, and over IPC when small; answers unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder, saveModel } from '../../src/graph/index.js';
import { writeManifest } from '../../src/partition/index.js';
import { Gateway, DEFAULT_GATEWAY, SHM_DIR, SHM_MIN_BYTES } from '../../src/runtime/index.js';

function chain(dir: string, n: number): string {
  const b = new GraphBuilder('chain');
  const x = b.input('x', 'float32', [1, n]);
  const h = b.node('Relu', [x], {}, { name: 'a' });
  const y = b.node('Neg', [h], {}, { name: 'b' });
  b.outputs.length = 0;
  b.output(y, 'float32', [1, n]);
  const path = join(dir, `chain${n}.onnx`);
  saveModel(b.model(17), path);
  return path;
}

test('a big inline hand-off travels through a segment, a small one over IPC; both answer exactly', { skip: SHM_DIR !== '/dev/shm' && 'no /dev/shm' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mopar-inline-shm-'));
  const gw = new Gateway({ ...DEFAULT_GATEWAY, enforceLimits: false });
  try {
    const sizes = { big: SHM_MIN_BYTES / 4 * 2, small: 16 };
    const names: Record<string, string> = {};
    for (const [k, n] of Object.entries(sizes)) {
      const out = join(dir, k);
      await writeManifest(chain(dir, n), out, [{ name: 'f1', nodes: ['a'] }, { name: 'f2', nodes: ['b'] }], 'inline');
      names[k] = gw.addModel(out, k);
    }
    await gw.listen(0);
    for (const [k, n] of Object.entries(sizes)) {
      const data = Float32Array.from({ length: n }, (_, i) => (i % 7) - 3);
      const r = await gw.models.get(names[k]!)!.infer({ x: { dtype: 'float32', dims: [1, n], data } });
      const hand = r.edges.find((e) => e.tensor !== 'x');
      assert.ok(hand, `${k}: the hand-off is accounted`);
      assert.equal(hand.transport, 'inline');
      if (k === 'big') assert.equal(hand.wireBytes, 0, 'through a segment: no bytes on the IPC channel');
      else assert.equal(hand.wireBytes, n * 4, 'raw over IPC');
      const got = r.outputs[Object.keys(r.outputs)[0]!]!.data as Float32Array;
      assert.deepEqual(Array.from(got), Array.from(data, (v) => -Math.max(0, v)));
    }
  } finally {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
