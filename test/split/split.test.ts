import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSplits, splitOverhead, splitRun } from '../../src/graph/split/index.js';
import { f } from '../../src/graph/index.js';
import { Net, checkSplit, graphOf } from './helpers.js';

const names = (g: { nodes: { name: string; isConstant: boolean }[] }) => g.nodes.filter((n) => !n.isConstant).map((n) => n.name);

async function convChain() {
  const n = new Net();
  const x = n.b.input('x', 'float32', [1, 3, 35, 32]);
  let h = n.relu(n.bn(n.conv(x, 3, 8, 3, { pads: [1, 1, 1, 1] }), 8));
  h = n.b.node('MaxPool', [h], { kernel_shape: [2, 2], strides: [2, 2] });
  h = n.relu(n.conv(h, 8, 16, 3, { strides: [2, 2], pads: [1, 1, 1, 1] }));
  h = n.b.node('AveragePool', [h], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 0 });
  h = n.relu(n.conv(h, 16, 12, 3, { auto_pad: 'SAME_UPPER', strides: [2, 2], dilations: [1, 1] }));
  n.b.output(h);
  return graphOf(n.b.model(), { x: [1, 3, 35, 32] });
}

test('spatial bands with halos are exact on a conv/pool chain (strides, pads, SAME, count_include_pad)', async () => {
  const g = await convChain();
  for (const parts of [2, 3]) {
    const r = await checkSplit(g, names(g), { kind: 'spatial', parts });
    assert.ok(r.maxRelErr <= 1e-5, `parts=${parts} rel=${r.maxRelErr}`);
    assert.ok(r.overhead > 0 && r.overhead < 1, `halo overhead ${r.overhead}`);
    // Rounded up to 1e-4: the planner's no-graph bound must never undershoot.
    const rounded = splitOverhead(g, names(g), 'spatial', parts);
    assert.ok(rounded >= r.overhead - 1e-9 && rounded < r.overhead + 1e-4, `${rounded} vs ${r.overhead}`);
  }
});

test('channel split of conv + BN + relu holds 1/k of the weights and is exact', async () => {
  const g = await convChain();
  const run = names(g).slice(0, 3); // conv, bn, relu
  const r = await checkSplit(g, run, { kind: 'channel', parts: 4 });
  assert.ok(r.maxRelErr <= 1e-6, `rel=${r.maxRelErr}`);
  assert.equal(r.overhead, 0);
  const opts = analyzeSplits(g, run);
  const ch = opts.find((o) => o.kind === 'channel');
  assert.ok(ch && ch.weightsFractionPerPart === 'inverse' && Math.abs(ch.weightsFractionAt2! - 0.5) < 0.01, JSON.stringify(opts));
  assert.ok(opts.some((o) => o.kind === 'spatial'));
});

test('channel split is not offered where each part would recompute the whole run', async () => {
  const g = await convChain();
  const opts = analyzeSplits(g, names(g)); // conv → … → conv: the second conv needs every channel
  assert.equal(opts.find((o) => o.kind === 'channel'), undefined);
});

test('residual block and channel concat split spatially; depthwise conv splits by channel', async () => {
  const n = new Net();
  const x = n.b.input('x', 'float32', [1, 6, 12, 12]);
  const a = n.relu(n.conv(x, 6, 6, 3, { pads: [1, 1, 1, 1] }));
  const b = n.b.node('Add', [n.conv(a, 6, 6, 3, { pads: [1, 1, 1, 1] }), x]);
  const c = n.b.node('Concat', [b, n.relu(n.conv(b, 6, 4, 1))], { axis: 1 });
  const d = n.relu(n.conv(c, 10, 10, 3, { pads: [1, 1, 1, 1] }, 10)); // depthwise
  n.b.output(d);
  const g = await graphOf(n.b.model(), { x: [1, 6, 12, 12] });
  const all = names(g);
  const r = await checkSplit(g, all, { kind: 'spatial', parts: 3 });
  assert.ok(r.maxRelErr <= 1e-5, `spatial rel=${r.maxRelErr}`);
  const dw = all.slice(-2);
  const r2 = await checkSplit(g, dw, { kind: 'channel', parts: 2 });
  assert.ok(r2.maxRelErr <= 1e-6 && r2.overhead === 0, `depthwise rel=${r2.maxRelErr} overhead=${r2.overhead}`);
});

test('Gemm (FC layer) channel split: exact, each part holds half the weight', async () => {
  const n = new Net();
  const x = n.b.input('x', 'float32', [2, 64]);
  const y = n.relu(n.b.node('Gemm', [x, n.w([48, 64]), n.w([48])], { transB: 1, alpha: f(1.0) }));
  n.b.output(y);
  const g = await graphOf(n.b.model(), { x: [2, 64] });
  const r = await checkSplit(g, names(g), { kind: 'channel', parts: 2 });
  assert.ok(r.maxRelErr <= 1e-6, `rel=${r.maxRelErr}`);
  assert.ok(r.weights.every((w) => w < 48 * 64 * 4 * 0.55), `weights per part ${r.weights}`);
});

test('transformer MLP splits by sequence (token-wise) and MatMul by output columns', async () => {
  const n = new Net();
  const x = n.b.input('x', 'float32', [1, 10, 16]);
  const h = n.b.node('LayerNormalization', [x, n.w([16]), n.w([16])], { axis: -1, epsilon: f(1e-5) });
  const u = n.b.node('Gelu', [n.b.node('Add', [n.b.node('MatMul', [h, n.w([16, 32])]), n.w([32])])]);
  const y = n.b.node('Add', [n.b.node('Add', [n.b.node('MatMul', [u, n.w([32, 16])]), n.w([16])]), x]);
  const m = n.b.node('ReduceMean', [y, n.b.init('axes', 'int64', [1], BigInt64Array.of(-1n))], { keepdims: 1 });
  const z = n.b.node('Softmax', [n.b.node('Sub', [y, m])], { axis: -1 });
  n.b.output(z);
  const g = await graphOf(n.b.model(20), { x: [1, 10, 16] });
  const all = names(g);
  const r = await checkSplit(g, all, { kind: 'sequence', parts: 3 });
  assert.ok(r.maxRelErr <= 1e-5 && r.overhead === 0, `seq rel=${r.maxRelErr} overhead=${r.overhead}`);
  assert.ok(analyzeSplits(g, all).some((o) => o.kind === 'sequence'));
  const first = all.slice(1, 4); // MatMul, Add, Gelu
  const r2 = await checkSplit(g, first, { kind: 'channel', parts: 4 });
  assert.ok(r2.maxRelErr <= 1e-6, `channel rel=${r2.maxRelErr}`);
});

test('bad split requests give clear errors', async () => {
  const g = await convChain();
  assert.throws(() => splitRun(g, names(g), { kind: 'spatial', parts: 1 }), /at least 2 parts/);
  assert.throws(() => splitRun(g, names(g), { kind: 'heads', parts: 2 }), /needs an attention run/);
  assert.throws(() => splitRun(g, ['nope'], { kind: 'spatial', parts: 2 }), /no node named 'nope'/);
  assert.throws(() => splitRun(g, names(g), { kind: 'spatial', parts: 99 }), /only \d+ rows/);
});

test('sequence split runs through whole attention blocks (K and V recomputed per part, Reshape bands)', async () => {
  const { fixture } = await import('../fixtures/graphs.js');
  const { buildZooModel } = await import('../../src/zoo/index.js');
  for (const [what, model] of [['fixture transformer-block', fixture('transformer-block').build()], ['tiny vit-b16', buildZooModel('vit-b16', { tiny: true })]] as const) {
    const g0 = (await import('../../src/graph/index.js')).buildGraph(model);
    const { resolveInputShapes } = await import('../../src/graph/index.js');
    const g = await graphOf(model, resolveInputShapes(g0));
    // The first block: from the first LayerNormalization to the Add after the attention.
    const all = names(g);
    const start = all.findIndex((n) => g.nodeByName.get(n)!.op === 'LayerNormalization');
    const soft = all.findIndex((n) => g.nodeByName.get(n)!.op === 'Softmax');
    const end = all.findIndex((n, i) => i > soft && g.nodeByName.get(n)!.op === 'Add' && g.nodeByName.get(n)!.inputs.some((x) => g.tensors.get(x)!.producer === all[start - 1] || g.tensors.get(x)!.kind === 'input'));
    const run = all.slice(start, end > 0 ? end + 1 : soft + 6);
    assert.ok(run.some((n) => g.nodeByName.get(n)!.op === 'Softmax'), `${what}: the run holds the attention`);
    const r = await checkSplit(g, run, { kind: 'sequence', parts: 2 });
    assert.ok(r.maxRelErr <= 1e-5, `${what}: rel=${r.maxRelErr}`);
    assert.ok(r.overhead > 0, `${what}: K/V recomputation shows as overhead`);
  }
});

test('heads split: Q/K/V projections to the heads-merge Reshape, by whole heads, weights sliced', async () => {
  const { buildZooModel } = await import('../../src/zoo/index.js');
  const model = buildZooModel('vit-b16', { tiny: true });
  const { buildGraph, resolveInputShapes } = await import('../../src/graph/index.js');
  const g = await graphOf(model, resolveInputShapes(buildGraph(model)));
  const all = names(g);
  const start = all.findIndex((n) => g.nodeByName.get(n)!.op === 'LayerNormalization') + 1;
  const soft = all.findIndex((n) => g.nodeByName.get(n)!.op === 'Softmax');
  const merge = all.findIndex((n, i) => i > soft && g.nodeByName.get(n)!.op === 'Reshape');
  const run = all.slice(start, merge + 1);
  const opt = analyzeSplits(g, run).find((o) => o.kind === 'heads');
  assert.ok(opt && opt.weightsFractionPerPart === 'inverse' && opt.overheadAt2 < 0.01, JSON.stringify(analyzeSplits(g, run)));
  const r = await checkSplit(g, run, { kind: 'heads', parts: 2 });
  assert.ok(r.maxRelErr <= 1e-5 && r.overhead < 0.01, `rel=${r.maxRelErr} overhead=${r.overhead}`);
  assert.ok(r.weights.every((w) => w < 0.6 * (r.weights[0]! + r.weights[1]!)), `weights per part ${r.weights}`);
  // 3 parts of 4 heads: bands widen to whole heads (some recomputation), still exact.
  const r3 = await checkSplit(g, run, { kind: 'heads', parts: 3 });
  assert.ok(r3.maxRelErr <= 1e-5 && r3.overhead > 0, `3 parts: rel=${r3.maxRelErr} overhead=${r3.overhead}`);
});
