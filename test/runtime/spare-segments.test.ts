/** Spare shared-memory segments: written into again, resized to the new tensor, bounded, removed on clear. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { CodecChooser, decodeTensor, encodeTensor, ownSegments, SHM_DIR } from '../../src/runtime/index.js';
import { SpareSegments } from '../../src/runtime/segments.js';

const tensor = (n: number, k: number) => ({ dtype: 'float32' as const, dims: [n], data: Float32Array.from({ length: n }, (_, i) => i * k) });

test('a spare segment is written in place, resized to the next tensor, and read back exactly', { skip: SHM_DIR !== '/dev/shm' && 'no /dev/shm' }, () => {
  const spares = new SpareSegments(1, 1 << 20);
  const chooser = new CodecChooser();
  const first = spares.take('t');
  assert.equal(first.reuse, false);
  encodeTensor('t', tensor(1000, 1), { enc: 'shm', ...first }, chooser);
  spares.give('t', first.path);
  const again = spares.take('t');
  assert.deepEqual(again, { path: first.path, reuse: true });
  // Smaller, then larger than the file: the segment holds exactly the tensor's bytes each time.
  for (const n of [10, 3000]) {
    const { wire } = encodeTensor('t', tensor(n, 3), { enc: 'shm', ...again }, chooser);
    assert.equal(statSync(again.path).size, n * 4);
    assert.deepEqual(Array.from(decodeTensor(wire).data as Float32Array), Array.from(tensor(n, 3).data));
  }
  // Gone in the meantime: created anew.
  spares.give('t', again.path);
  spares.clear();
  assert.equal(existsSync(again.path), false);
  const lost = spares.take('t');
  assert.equal(lost.reuse, false);
  encodeTensor('t', tensor(4, 1), { enc: 'shm', path: lost.path, reuse: true }, chooser);
  assert.equal(statSync(lost.path).size, 16);
  spares.give('t', lost.path);
  // Bounded: one per tensor here, and by bytes.
  const extra = spares.take('u');
  encodeTensor('u', tensor(1 << 18, 1), { enc: 'shm', ...extra }, chooser); // 1 MiB: over what is left of the bound
  spares.give('u', extra.path);
  assert.equal(existsSync(extra.path), false, 'over the byte bound: removed');
  const second = spares.take('x');
  encodeTensor('x', tensor(8, 1), { enc: 'shm', ...second }, chooser);
  const third = spares.take('x');
  encodeTensor('x', tensor(8, 1), { enc: 'shm', ...third }, chooser);
  spares.give('x', second.path);
  spares.give('x', third.path);
  assert.equal(existsSync(third.path), false, 'over the per-tensor bound: removed');
  spares.clear();
  assert.deepEqual(ownSegments(), []);
});
