import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPartition, loadManifest, verifyPartition, runPipeline } from '../../src/partition/index.js';
import { openModel, pieceOf, randomInputs, decodeModel, openSession, runSession, type PlainTensor } from '../../src/graph/index.js';
import { Net } from '../split/helpers.js';
import { FIXTURES, fixture } from '../fixtures/graphs.js';
import { computeNodes, evenCuts, makePlan, tmpDir, writeModel, type Slice } from './plans.js';
import { rehash } from '../runtime/helpers.js';

async function setup(model: import('../../src/graph/index.js').ModelProto, inputShapes = {}) {
  const dir = tmpDir('build');
  const { path, hash } = writeModel(model, dir);
  const opened = await openModel(path, inputShapes);
  return { dir, path, hash, g: opened.graph, inputShapes: opened.inputShapes };
}

describe('build + verify on every fixture graph (vertical cuts)', () => {
  for (const fx of FIXTURES) {
    it(`${fx.name}: 1, 2, 3 and one-per-node slices reproduce the model`, async () => {
      const { dir, path, hash, g, inputShapes } = await setup(fx.build(), fx.inputShapes);
      const nodes = computeNodes(g);
      for (const k of [1, 2, 3, nodes.length]) {
        const out = join(dir, `k${k}`);
        const slices = evenCuts(nodes, k);
        const m = await buildPartition(path, makePlan(hash, inputShapes, slices.map((n) => ({ nodes: n }))), out);
        // A slice of only dead nodes (nothing of it is used or output) is skipped.
        const live = slices.filter((s) => pieceOf(g, s).outputs.length > 0).length;
        assert.equal(m.functions.filter((f) => f.group !== 'outputs.const').length, live);
        const r = await verifyPartition(path, out, { runs: 2 });
        assert.ok(r.ok, `${fx.name} k=${k}: maxRelErr ${r.maxRelErr}`);
        assert.ok(r.maxRelErr <= 1e-4);
      }
    });
  }
});

describe('horizontal splits inside built pipelines', () => {
  it('conv chain: spatial and channel sub-slices between plain slices are exact, consumers concatenate', async () => {
    const { dir, path, hash, g, inputShapes } = await setup(fixture('residual').build());
    const nodes = computeNodes(g);
    const convs = nodes.filter((n) => g.nodeByName.get(n)!.op === 'Conv');
    const slices: Slice[] = [];
    // First conv alone, split by channel; then the rest in two slices, the first split spatially when it can be.
    const i0 = nodes.indexOf(convs[0]!);
    slices.push({ nodes: nodes.slice(0, i0 + 1), split: { kind: 'channel', parts: 2 } });
    const rest = nodes.slice(i0 + 1);
    const [a, b] = evenCuts(rest, 2);
    slices.push({ nodes: a!, split: { kind: 'spatial', parts: 2 } }, { nodes: b! });
    const out = join(dir, 'h');
    const m = await buildPartition(path, makePlan(hash, inputShapes, slices), out);
    assert.ok(m.functions.some((f) => f.split?.kind === 'channel') && m.functions.some((f) => f.split?.kind === 'spatial'));
    assert.ok(m.functions.some((f) => f.joins?.length), 'a consumer reassembles split tensors');
    const r = await verifyPartition(path, out, { runs: 2 });
    assert.ok(r.ok, `maxRelErr ${r.maxRelErr}`);
  });

  it('a split model output gets a join function; every function file runs standalone', async () => {
    const n = new Net();
    const x = n.b.input('x', 'float32', [1, 3, 20, 20]);
    const h = n.relu(n.conv(x, 3, 6, 3, { pads: [1, 1, 1, 1] }));
    const y = n.b.node('MaxPool', [n.relu(n.conv(h, 6, 8, 3, { strides: [2, 2] })), ], { kernel_shape: [2, 2], strides: [2, 2] });
    n.b.output(y);
    const { dir, path, hash, g, inputShapes } = await setup(n.b.model());
    const nodes = computeNodes(g);
    const out = join(dir, 'j');
    const plan = makePlan(hash, inputShapes, [{ nodes: nodes.slice(0, 2), split: { kind: 'channel', parts: 3 } }, { nodes: nodes.slice(2), split: { kind: 'spatial', parts: 2 } }]);
    const m = await buildPartition(path, plan, out);
    assert.ok(m.functions.some((f) => f.name.endsWith('.join')), 'join function for the split model output');
    assert.equal(m.functions.length, 6);
    // Chain the files by hand with plain onnxruntime (no mopar executor).
    const feeds = randomInputs(g, inputShapes, 5);
    const store: Record<string, PlainTensor> = { ...feeds };
    for (const f of m.functions) {
      const s = await openSession(join(out, f.file));
      assert.deepEqual([...s.inputNames].sort(), [...f.inputs].sort());
      Object.assign(store, await runSession(s, Object.fromEntries(f.inputs.map((i) => [i, store[i]!]))));
      await s.release();
    }
    const ref = await runPipeline(out, feeds);
    for (const o of g.outputs) assert.deepEqual(Array.from(store[o]!.data as Float32Array), Array.from(ref[o]!.data as Float32Array));
    const r = await verifyPartition(path, out, { runs: 2 });
    assert.ok(r.ok && r.maxRelErr <= 1e-5, `maxRelErr ${r.maxRelErr}`);
  });

  it('identical slices are stored once (content-hash file names)', async () => {
    const { dir, path, hash, g, inputShapes } = await setup(fixture('conv-chain').build());
    const nodes = computeNodes(g);
    const out = join(dir, 'd');
    const m1 = await buildPartition(path, makePlan(hash, inputShapes, [{ nodes }]), out);
    const m2 = await buildPartition(path, makePlan(hash, inputShapes, [{ nodes }]), join(dir, 'd2'));
    assert.equal(m1.functions[0]!.file, m2.functions[0]!.file);
    assert.match(m1.functions[0]!.file, /^[0-9a-f]{20}\.onnx$/);
    const bytes = readFileSync(join(out, m1.functions[0]!.file));
    assert.ok(decodeModel(bytes).graph!.node.length > 0);
  });
});

describe('bad plans and manifests', () => {
  it('rejects a plan for another model, an uncovered node, a node in two groups, an unknown node', async () => {
    const { dir, path, hash, g, inputShapes } = await setup(fixture('conv-chain').build());
    const nodes = computeNodes(g);
    const out = join(dir, 'bad');
    await assert.rejects(buildPartition(path, makePlan('0'.repeat(64), inputShapes, [{ nodes }]), out), /another model/);
    await assert.rejects(buildPartition(path, makePlan(hash, inputShapes, [{ nodes: nodes.slice(1) }]), out), /does not cover 1 node/);
    await assert.rejects(buildPartition(path, makePlan(hash, inputShapes, [{ nodes }, { nodes: nodes.slice(0, 1) }]), out), /in two groups/);
    await assert.rejects(buildPartition(path, makePlan(hash, inputShapes, [{ nodes: [...nodes, 'ghost'] }]), out), /'ghost'/);
    const plan = makePlan(hash, inputShapes, [{ nodes, split: { kind: 'spatial', parts: 2 } }]);
    plan.functions.pop();
    await assert.rejects(buildPartition(path, plan, out), /split parts\/indices/);
    const nonConvex = [nodes.filter((_, i) => i % 2 === 0), nodes.filter((_, i) => i % 2 === 1)];
    await assert.rejects(buildPartition(path, makePlan(hash, inputShapes, nonConvex.map((n) => ({ nodes: n }))), out), /not executable|depend on each other/);
  });

  it('verify reports a corrupted slice (not ok) and loadManifest rejects broken manifests', async () => {
    const { dir, path, hash, g, inputShapes } = await setup(fixture('conv-chain').build());
    const out = join(dir, 'c');
    const m = await buildPartition(path, makePlan(hash, inputShapes, evenCuts(computeNodes(g), 2).map((n) => ({ nodes: n }))), out);
    const f = m.functions[0]!;
    const model = decodeModel(readFileSync(join(out, f.file)));
    const w = model.graph!.initializer.find((t) => t.rawData.length >= 16)!;
    const raw = new Float32Array(new Uint8Array(w.rawData).buffer);
    for (let i = 0; i < raw.length; i++) raw[i] = raw[i]! * 1.5 + 0.1;
    w.rawData = new Uint8Array(raw.buffer);
    const { encodeModel } = await import('../../src/graph/index.js');
    writeFileSync(join(out, f.file), encodeModel(model));
    // The manifest's sha256 catches the changed file on load; re-hashed, verify's numerical check must catch it.
    assert.throws(() => loadManifest(out), /does not match its sha256/);
    rehash(out, f.name);
    const r = await verifyPartition(path, out, { runs: 1 });
    assert.equal(r.ok, false);
    assert.ok(r.maxRelErr > 1e-4);
    writeFileSync(join(out, 'manifest.json'), '{"kind":"nope"}');
    assert.throws(() => loadManifest(out), /not a mopar manifest/);
    assert.throws(() => loadManifest(join(dir, 'missing')), /not found/);
    assert.ok(existsSync(out) && readdirSync(out).length > 1);
  });
});
