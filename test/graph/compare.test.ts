import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allclose, ATOL_FLOOR, type PlainTensor } from '../../src/graph/index.js';
import { compareTensors } from '../../src/partition/index.js';

const t = (data: number[], dims = [data.length]): PlainTensor => ({ dtype: 'float32', dims, data: Float32Array.from(data) });

test('allclose: |a − b| ≤ atol + rtol·|b| with atol = 1e-5 × max|b|; reports max abs, max rel and the worst element', () => {
  const same = allclose(t([1, 2]), t([1, 2]));
  assert.deepEqual([same.ok, same.maxAbsErr, same.maxRelErr], [true, 0, 0]);
  assert.equal(same.atol, 2e-5);
  // 1e-3 relative on the largest element: outside rtol 1e-4.
  const off = allclose(t([1, 100.1]), t([1, 100]));
  assert.equal(off.ok, false);
  assert.deepEqual({ ...off.worst, got: Math.round(off.worst!.got * 10) / 10 }, { index: 1, got: 100.1, want: 100 });
  // An element near zero: relative error 1 (it doubled), but 1e-7 absolute is far under atol (1e-5 × 100).
  const tiny = allclose(t([2e-7, 100]), t([1e-7, 100]));
  assert.ok(tiny.ok && Math.abs(tiny.maxRelErr - 1) < 1e-6 && tiny.maxAbsErr < 2e-7);
  // The PaddleOCR case from issue 13: a probability map (peak ~0.9), absolute 1.8e-7, relative 6.5e-2 on a
  // near-zero element — refused by the old per-element relative rule.
  const det = allclose(t([0.9, 2.8e-6 + 1.8e-7]), t([0.9, 2.8e-6]));
  assert.ok(det.ok, `atol ${det.atol}`);
  // A wrong value of the tensor's own scale fails.
  assert.equal(allclose(t([0.01, 0.005]), t([0.01, 0])).ok, false);
});

test('allclose: atol never goes below the float resolution of a bounded activation (ATOL_FLOOR)', () => {
  // The real PaddleOCR v4 detector (test/fixtures/exported/paddle) on random input: every probability under
  // 0.0025, so 1e-5 × max|b| is 2.5e-8, under the 2^-24 steps its Sigmoid is computed in; the split run gave
  // 2^-22 where the unsplit gave 2^-24 (max rel 3) with onnxruntime's optimisations on.
  const det = allclose(t([0.0025, 2 ** -22]), t([0.0025, 2 ** -24]));
  assert.ok(det.ok && det.atol === ATOL_FLOOR.float32 && det.maxRelErr === 3, JSON.stringify(det));
  // Errors well above the floor still fail on such a tensor (1e-5 on values of 1e-3).
  assert.equal(allclose(t([0.0025, 1e-3 + 1e-5]), t([0.0025, 1e-3])).ok, false);
  // The floor follows the dtype.
  const f64 = (d: number[]): PlainTensor => ({ dtype: 'float64', dims: [d.length], data: Float64Array.from(d) });
  assert.equal(allclose(f64([0.0025, 2 ** -22]), f64([0.0025, 2 ** -24])).ok, false);
});

test('allclose: shape, dtype and NaN mismatches fail; integers must match exactly; equal NaNs and infinities pass', () => {
  assert.equal(allclose(t([1]), t([1, 2])).ok, false);
  assert.match(allclose(t([1, 2], [2, 1]), t([1, 2])).mismatch!, /shape/);
  assert.equal(allclose(undefined, t([1])).ok, false);
  assert.equal(allclose(t([NaN]), t([1])).ok, false);
  assert.equal(allclose(t([NaN, Infinity]), t([NaN, Infinity])).ok, true);
  const i = (d: number[]): PlainTensor => ({ dtype: 'int64', dims: [d.length], data: BigInt64Array.from(d.map(BigInt)) });
  assert.equal(allclose(i([1000000, 5]), i([1000000, 5])).ok, true);
  assert.equal(allclose(i([1000001, 5]), i([1000000, 5])).ok, false);
  assert.equal(allclose(t([1]), { dtype: 'float64', dims: [1], data: Float64Array.of(1) }).ok, false);
});

test('compareTensors (bench, demo) is the same rule', () => {
  assert.deepEqual(compareTensors(t([1, 2]), t([1, 2])), { abs: 0, rel: 0, ok: true });
  assert.equal(compareTensors(t([2e-7, 100]), t([1e-7, 100])).ok, true);
  assert.equal(compareTensors(t([1, 100.1]), t([1, 100])).ok, false);
});
