/** Random-cut composition: any cut of any fixture, run piece by piece, reproduces the whole model exactly. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import { extractModel, pieceOf, TensorProto_DataType } from '../../src/graph/index.js';
import { FIXTURES, fixture } from '../fixtures/graphs.js';
import { assertSameTensor, contiguousCut, prepare, runPieces, runWhole, topologicalPartition } from './compose.js';

const CUTS_PER_KIND = 12;

describe('random-cut composition', () => {
  for (const fx of FIXTURES) {
    it(`${fx.name}: ${CUTS_PER_KIND} contiguous cuts, ${CUTS_PER_KIND} topological partitions, one node per piece`, async () => {
      const { graph: g, feeds } = await prepare(fx.build(), fx.inputShapes);
      const whole = await runWhole(g.model, feeds);
      const rng = new Rng(1000 + fx.name.length);
      const cuts: Array<[string, string[][]]> = [['one node per piece', g.nodes.map((n) => [n.name])]];
      for (let i = 0; i < CUTS_PER_KIND; i++) {
        const k = rng.int(2, Math.min(7, g.nodes.length) + 1);
        cuts.push([`contiguous #${i} (k=${k})`, contiguousCut(g, k, rng)]);
        cuts.push([`topological #${i} (k=${k})`, topologicalPartition(g, k, rng)]);
      }
      for (const [what, pieces] of cuts) {
        assert.deepEqual(pieces.flat().sort(), g.nodes.map((n) => n.name).sort(), `${what} covers every node once`);
        const env = await runPieces(g, pieces, feeds);
        for (const o of g.outputs) {
          const t = g.tensors.get(o)!;
          // An output that is an initializer is a constant of the model, not computed by any piece.
          if (t.kind === 'initializer') continue;
          assertSameTensor(env[o], whole[o]!, `${fx.name} ${what}: output ${o}`);
        }
      }
    });
  }
});

describe('extractModel', () => {
  it('copies an initializer used by two distant pieces into both', async () => {
    const { graph: g } = await prepare(fixture('shared-initializer').build());
    const first = g.nodes[0]!;
    const last = g.nodes[g.nodes.length - 1]!;
    const shared = first.inputs.find((i) => g.initializers.has(i))!;
    assert.ok(last.inputs.includes(shared));
    const a = extractModel(g, [first.name]);
    const b = extractModel(g, g.nodes.slice(1).map((n) => n.name));
    assert.ok(a.piece.initializers.includes(shared) && b.piece.initializers.includes(shared));
    // Carries exactly what it uses: the first piece holds no other weight.
    assert.deepEqual(a.piece.initializers, [shared]);
    assert.deepEqual(a.model.opsetImport, g.model.opsetImport);
  });

  it('pulls Constant-node weights into every piece that reads them, exposing none of them', async () => {
    const { graph: g } = await prepare(fixture('paddle-style').build());
    const conv = g.nodeByName.get('p2o.Conv.0')!;
    const { piece } = extractModel(g, [conv.name]);
    assert.deepEqual(piece.inputs, ['x']);
    assert.equal(piece.initializers.length, 0);
    assert.ok(piece.nodes.some((n) => g.nodeByName.get(n)!.isConstant));
    assert.deepEqual(piece.outputs, ['conv2d_0.tmp_0']);
  });

  it('passes an Identity alias of a weight (PyTorch export) between pieces like any activation', async () => {
    const { graph: g } = await prepare(fixture('pytorch-style').build());
    const { piece } = extractModel(g, ['/layer2/conv/Conv']);
    assert.deepEqual(piece.inputs, ['/layer1/relu/Relu_output_0', 'onnx::Conv_21']);
    assert.deepEqual(piece.initializers, ['layer1.conv.bias']);
    assert.ok(extractModel(g, ['Identity_0']).piece.outputs.includes('onnx::Conv_21'));
  });

  it('treats an If node with outer-scope reads as one unit whose inputs include what its branches read', async () => {
    const { graph: g } = await prepare(fixture('if-node').build());
    const ifn = g.nodes.find((n) => n.op === 'If')!;
    const tanh = g.nodes.find((n) => n.op === 'Tanh')!;
    assert.ok(ifn.inputs.includes(tanh.outputs[0]!), 'outer-scope activation is an input of the If node');
    assert.ok(ifn.inputs.some((i) => g.initializers.has(i)), 'outer-scope initializer is an input of the If node');
    const { piece } = extractModel(g, [ifn.name]);
    assert.ok(piece.inputs.includes(tanh.outputs[0]!));
    assert.ok(piece.initializers.length >= 1);
  });

  it('gives a piece of dead nodes no outputs, and exposes a Constant graph output only from its owner', async () => {
    const { graph: g } = await prepare(fixture('odd-outputs').build());
    assert.deepEqual(pieceOf(g, ['dead_exp']).outputs, []);
    assert.throws(() => extractModel(g, ['dead_exp']), /produces nothing used outside it/);
    const owner = g.tensors.get('k_const')!.producer!;
    const reader = g.tensors.get('k_const')!.consumers[0]!;
    assert.ok(!pieceOf(g, [reader]).outputs.includes('k_const'), 'a pulled-in copy is not an output');
    assert.deepEqual(pieceOf(g, [owner]).outputs, ['k_const']);
  });

  it('honours onlyOutputs and extraOutputs, and rejects unknown nodes and outputs it does not produce', async () => {
    const { graph: g } = await prepare(fixture('conv-chain').build());
    const names = g.nodes.map((n) => n.name);
    const mid = g.nodes[1]!.outputs[0]!;
    assert.deepEqual(pieceOf(g, names, { extraOutputs: [mid] }).outputs.sort(), [mid, g.outputs[0]!].sort());
    assert.deepEqual(pieceOf(g, names, { onlyOutputs: [mid] }).outputs, [mid]);
    assert.throws(() => pieceOf(g, ['nope']), /no node named 'nope'/);
    assert.throws(() => pieceOf(g, [names[0]!], { onlyOutputs: [g.outputs[0]!] }), /does not produce/);
  });

  it('gives every piece input and output a typed value_info', async () => {
    const { graph: g } = await prepare(fixture('multi-output').build());
    const topk = g.nodes.find((n) => n.op === 'TopK')!;
    const { model } = extractModel(g, [topk.name]);
    for (const vi of [...model.graph!.input, ...model.graph!.output]) {
      const tt = vi.type?.value.case === 'tensorType' ? vi.type.value.value : undefined;
      assert.ok(tt && tt.elemType !== TensorProto_DataType.UNDEFINED, `${vi.name} is typed`);
      assert.ok(tt.shape, `${vi.name} has a shape`);
    }
  });
});
