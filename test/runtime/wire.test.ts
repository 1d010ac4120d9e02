/** Hand-off encodings: byte shuffle, codec choice per edge, shared-memory segments (mode, cleanup, stale sweep). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodecChooser, decodeTensor, encodeTensor, shuffle, unshuffle, segmentPath, removeSegment, sweepStaleSegments, SHM_DIR, billing } from '../../src/runtime/index.js';
import type { PlainTensor } from '../../src/graph/index.js';

const smooth = (n: number): PlainTensor => ({ dtype: 'float32', dims: [n], data: Float32Array.from({ length: n }, (_, i) => Math.max(0, Math.sin(i / 50))) });

test('byte shuffle round-trips, odd lengths included', () => {
  const src = Uint8Array.from({ length: 1027 }, (_, i) => (i * 37) % 256);
  for (const w of [1, 2, 4, 8]) assert.deepEqual(unshuffle(shuffle(src, w), w), src);
});

test('every encoding decodes to the same tensor', () => {
  const t = smooth(10_000);
  const chooser = new CodecChooser();
  for (const plan of [{ enc: 'raw' as const }, { enc: 'z' as const }, { enc: 'shm' as const, path: segmentPath('t') }]) {
    const { wire, stats } = encodeTensor('t', t, plan, chooser);
    assert.equal(stats.rawBytes, 40_000);
    assert.deepEqual(decodeTensor(wire).data, t.data, plan.enc);
    if (plan.enc === 'shm') {
      assert.equal(statSync(plan.path).mode & 0o777, 0o600);
      assert.equal(stats.wireBytes, 0);
      removeSegment(plan.path);
      assert.ok(!existsSync(plan.path));
      assert.throws(() => decodeTensor(wire), /segment .* is gone/);
    }
  }
});

test('the codec is chosen per edge: compressible activations get one, noise gets none', () => {
  // A slow link (1 MB/s) makes compression pay; on a fast one 'none' may rightly win.
  const chooser = new CodecChooser(1);
  const relu = encodeTensor('relu', smooth(50_000), { enc: 'z' }, chooser);
  assert.notEqual(relu.stats.codec, 'none');
  assert.ok(relu.stats.wireBytes < relu.stats.rawBytes / 1.5, `ratio ${relu.stats.rawBytes / relu.stats.wireBytes}`);
  let s = 7;
  const noise: PlainTensor = { dtype: 'float32', dims: [50_000], data: Float32Array.from({ length: 50_000 }, () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 - 0.5; }) };
  const n = encodeTensor('noise', noise, { enc: 'z' }, new CodecChooser(10_000));
  assert.equal(n.stats.codec, 'none');
  assert.equal(n.wire.enc, 'raw');
});

test('segments of a gateway that died are swept; live ones are kept', () => {
  const dead = join(SHM_DIR, 'mopar-999999999-1-x');
  const mine = segmentPath('live');
  writeFileSync(dead, 'x');
  writeFileSync(mine, 'y');
  try {
    assert.ok(sweepStaleSegments() >= 1);
    assert.ok(!existsSync(dead));
    assert.ok(existsSync(mine));
  } finally {
    removeSegment(dead);
    removeSegment(mine);
  }
});

test('billing rounds up to the granularity and scales with memory and vCPU', () => {
  assert.deepEqual(billing(10.2, 1024, 0.5), { billedMs: 11, gbSeconds: 0.011, vcpuSeconds: 0.0055 });
  assert.equal(billing(10.2, 2048, 1, 100).billedMs, 100);
  assert.equal(billing(0, 128, 1).billedMs, 1);
});

test('lossy fp16 / int8 (opt-in) decode close to the original and report their error', () => {
  const t = smooth(5000);
  for (const lossy of ['fp16', 'int8'] as const) {
    const { wire, stats } = encodeTensor('e', t, { enc: 'z', lossy }, new CodecChooser());
    const back = decodeTensor(wire).data as Float32Array;
    let worst = 0;
    for (let i = 0; i < back.length; i++) worst = Math.max(worst, Math.abs(back[i]! - (t.data as Float32Array)[i]!));
    assert.equal(stats.lossy, lossy);
    assert.ok(worst > 0, 'a lossy encoding that loses nothing is suspicious here');
    assert.ok(Math.abs(worst - stats.maxAbsErr!) < 1e-7, `${lossy}: reported ${stats.maxAbsErr}, actual ${worst}`);
    assert.ok(worst <= (lossy === 'fp16' ? 1e-3 : 1 / 127), `${lossy}: ${worst}`);
  }
});
