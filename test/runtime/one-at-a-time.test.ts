/** `oneAtATime`: a parallel group's members run one after another (bench billing on few cores), same outputs. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RUNTIME, ServedModel, loadServable, randomFeeds, v2Meta, type InferResult } from '../../src/runtime/index.js';
import { cleanup, tmpDir, writeToyManifest } from './helpers.js';

const dir = tmpDir('one-at-a-time');
after(() => cleanup(dir));

/** Pairs of calls whose [start, end) intervals overlap. */
function overlaps(r: InferResult): string[] {
  const out: string[] = [];
  for (const a of r.calls) {
    for (const b of r.calls) {
      if (a.fn < b.fn && a.startMs < b.startMs + b.ms && b.startMs < a.startMs + a.ms) out.push(`${a.fn}/${b.fn}`);
    }
  }
  return out;
}

test('a parallel group runs concurrently by default and one function at a time with oneAtATime, same outputs', async () => {
  const toy = await writeToyManifest(dir);
  const { manifest, dir: served } = loadServable(toy.dir);
  const parallel = new ServedModel('toy', manifest, served, { ...DEFAULT_RUNTIME, enforceLimits: false });
  const alone = new ServedModel('toy', manifest, served, { ...DEFAULT_RUNTIME, enforceLimits: false, oneAtATime: true });
  try {
    const feeds = randomFeeds({ name: 'toy', inputs: parallel.inputs.map(v2Meta), outputs: [] }, 3);
    for (let i = 0; i < 3; i++) {
      const a = await parallel.infer(feeds);
      const b = await alone.infer(feeds);
      assert.equal(a.calls.length, 4);
      assert.equal(b.calls.length, 4);
      // 'left' and 'right' (group g1) are launched in the same step when both may run at once.
      assert.ok(overlaps(a).includes('left/right'), `parallel run overlaps: ${overlaps(a).join(', ')}`);
      assert.deepEqual(overlaps(b), [], 'one-at-a-time run overlapped');
      const out = manifest.outputs[0]!;
      assert.deepEqual(Array.from(b.outputs[out]!.data as Float32Array), Array.from(a.outputs[out]!.data as Float32Array));
    }
  } finally {
    await parallel.close();
    await alone.close();
  }
});
