/** Split parts at their measured time: the profile's part shares scale the band model's work (plan/split-work.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measuredShare, splitWorkModel } from '../../src/plan/split-work.js';
import { normalisedLayerMs } from '../../src/plan/units.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { profileModel } from '../../src/profile/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { CHANNEL, syntheticProfile } from './synthetic.js';

test('a measured share: as measured at 2 and 4 parts, linear between, the last efficiency past it', () => {
  const at = { 2: 0.6, 4: 0.4 };
  assert.equal(measuredShare(at, 2), 0.6);
  assert.equal(measuredShare(at, 4), 0.4);
  assert.ok(Math.abs(measuredShare(at, 3)! - 0.5) < 1e-12);
  // Past 4: 0.4 × 4 / k, the same time per unit of work as at 4, never better.
  assert.ok(Math.abs(measuredShare(at, 8)! - 0.2) < 1e-12);
  assert.equal(measuredShare({ 2: 0.7 }, 4), 0.35);
  assert.equal(measuredShare({}, 2), undefined);
  assert.equal(measuredShare({ 2: 0 }, 2), undefined, 'a share of 0 was not measured');
});

test("a split's parts take their layers' measured time: each layer's measured share over its modelled one, weighted by time", () => {
  const layers = [
    { ms: 10, paramMB: 1, actMB: 1, cutBytes: 1000, splits: [{ ...CHANNEL, partShareAt: { 2: 0.75, 4: 0.5 } }] },
    { ms: 30, paramMB: 1, actMB: 1, cutBytes: 1000, splits: [{ ...CHANNEL, partShareAt: { 2: 0.6, 4: 0.3 } }] },
    { ms: 20, paramMB: 1, actMB: 1, cutBytes: 1000, splits: [{ ...CHANNEL }] },
  ];
  const p = syntheticProfile(layers);
  const timed = splitWorkModel(p.layers, normalisedLayerMs(p));
  const bare = syntheticProfile(layers.map((l) => ({ ...l, splits: [{ ...CHANNEL }] })));
  const byWork = splitWorkModel(bare.layers, normalisedLayerMs(bare));
  for (const k of [2, 4]) {
    const ms = normalisedLayerMs(p);
    const eff = (l: number) => p.layers[l]!.splits[0]!.partShareAt![k]! / byWork(l, l, CHANNEL, k)!.maxPart;
    // One layer: its measured share exactly.
    for (const l of [0, 1]) assert.ok(Math.abs(timed(l, l, CHANNEL, k)!.maxPart - p.layers[l]!.splits[0]!.partShareAt![k]!) < 1e-9, `layer ${l} k=${k}`);
    // Unmeasured layer: the band model's work.
    assert.deepEqual(timed(2, 2, CHANNEL, k), byWork(2, 2, CHANNEL, k));
    // A run of the first two: the band model's run × their time-weighted efficiency; Σ parts scaled alike.
    const e = (ms[0]! * eff(0) + ms[1]! * eff(1)) / (ms[0]! + ms[1]!);
    const w = byWork(0, 1, CHANNEL, k)!;
    const got = timed(0, 1, CHANNEL, k)!;
    assert.ok(Math.abs(got.maxPart - w.maxPart * e) < 1e-9 && Math.abs(got.total - w.total * e) < 1e-9, `k=${k}: ${JSON.stringify(got)} vs ${JSON.stringify(w)} × ${e}`);
    // With the unmeasured third layer: it weighs in at 1 (the band model's own work).
    const e3 = (ms[0]! * eff(0) + ms[1]! * eff(1) + ms[2]!) / (ms[0]! + ms[1]! + ms[2]!);
    assert.ok(Math.abs(timed(0, 2, CHANNEL, k)!.maxPart - byWork(0, 2, CHANNEL, k)!.maxPart * e3) < 1e-9, `k=${k}`);
  }
});

test('the profiler times the split parts of a real tiny model beside its whole layers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mopar-splitparts-'));
  try {
    const file = join(dir, 'bert.onnx');
    writeZooModel('bert-base', file, { tiny: true });
    const p = await profileModel(file, { runs: 1, cpuScaling: false, measureRss: false });
    const timed = p.layers.flatMap((l) => l.splits.filter((s) => s.partShareAt).map((s) => ({ l, s })));
    const splittable = p.layers.filter((l) => l.splits.length > 0 && l.ms >= 0.5);
    assert.ok(splittable.length === 0 || timed.length > 0, 'layers worth a split have their parts timed');
    for (const { s } of timed) {
      for (const [k, share] of Object.entries(s.partShareAt!)) {
        assert.ok(Number(k) >= 2 && Number(k) <= s.maxParts, `k=${k}`);
        // A part alone is a real run: more than nothing, and not many times the whole layer.
        assert.ok(share > 0 && share < 3, `share ${share} at k=${k}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
