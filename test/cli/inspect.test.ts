/** `mopar inspect` on exporter-style files: JSON per CONTRACTS.md, readable table, unknown shapes as '?'. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, GraphBuilder, saveModel, tensorProto, ValueInfoProtoSchema } from '../../src/graph/index.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { fixture } from '../fixtures/graphs.js';
import { runCli } from './run-cli.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mopar-inspect-'));
  for (const name of ['paddle-style', 'pytorch-style', 'if-node']) saveModel(fixture(name).build(), join(dir, `${name}.onnx`));
  // Declares no output shape and an input dim with neither a value nor a name (both legal in ONNX).
  const b = new GraphBuilder('unknown_shapes');
  b.inputs.push(create(ValueInfoProtoSchema, {
    name: 'x', type: { value: { case: 'tensorType', value: { elemType: 1, shape: { dim: [{ value: { case: 'dimValue', value: 2n } }, {}] } } } },
  }));
  b.output(b.node('Relu', ['x']), 'float32');
  saveModel(b.model(13), join(dir, 'unknown.onnx'));
  // A dynamic input pinned by a Reshape to [1, 4]; a ConstantOfShape fill value (not a weight); an op no runtime has.
  const p = new GraphBuilder('pinned');
  const x = p.input('x', 'float32', ['N', 4]);
  const y = p.node('Reshape', [x, p.init('to', 'int64', [2], BigInt64Array.of(1n, 4n))]);
  const z = p.node('ConstantOfShape', [p.init('shape', 'int64', [1], BigInt64Array.of(4n))], { value: tensorProto('v', 'float32', [1], Float32Array.of(0)) });
  p.output(p.node('NoSuchOp', [p.node('Add', [y, z])]), 'float32');
  saveModel(p.model(14), join(dir, 'pinned.onnx'));
  writeZooModel('gpt2', join(dir, 'gpt2.onnx'), { tiny: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('mopar inspect', { concurrency: 2 }, () => {
  it('--json on a Paddle2ONNX-style file counts Constant-node weights as params', async () => {
    const r = await runCli(['inspect', '--json', join(dir, 'paddle-style.onnx')]);
    assert.equal(r.code, 0, r.stderr);
    const facts = JSON.parse(r.stdout);
    // conv 4·3·3·3 + BN 4·4 + linear 144·10 + bias 10 + reshape shape 2, all in Constant nodes.
    assert.equal(facts.params, 108 + 16 + 1440 + 10 + 2);
    assert.equal(facts.nodes, 16);
    assert.equal(facts.ops.Constant, 8);
    assert.equal(facts.ops.Conv, 1);
    assert.deepEqual(facts.inputs, [{ name: 'x', dtype: 'float32', shape: ['p2o.DynamicDimension.0', 3, 6, 6], shapeKnown: true }]);
    assert.deepEqual(facts.outputs[0].shape, ['p2o.DynamicDimension.1', 10]);
    assert.equal(facts.producer, 'PaddlePaddle');
  });

  it('--json on a PyTorch-style file counts initializers and Constants, keeps /path/Op names', async () => {
    const r = await runCli(['inspect', '--json', join(dir, 'pytorch-style.onnx')]);
    assert.equal(r.code, 0, r.stderr);
    const facts = JSON.parse(r.stdout);
    // conv 2·2·3·3 + 2, fc 4·50 + 4, Constant shape [-1, 50].
    assert.equal(facts.params, 36 + 2 + 200 + 4 + 2);
    assert.deepEqual(facts.ops, { Conv: 2, Relu: 2, Constant: 1, Gemm: 1, Identity: 1, Reshape: 1 });
    assert.deepEqual(facts.inputs, [{ name: 'input.1', dtype: 'float32', shape: ['batch_size', 2, 5, 5], shapeKnown: true }]);
    assert.deepEqual(facts.outputs, [{ name: 'output', dtype: 'float32', shape: ['batch_size', 4], shapeKnown: true }]);
    assert.equal(facts.opsets['ai.onnx'], 14);
  });

  it('counts nodes and weights inside If branches', async () => {
    const r = await runCli(['inspect', '--json', join(dir, 'if-node.onnx')]);
    assert.equal(r.code, 0, r.stderr);
    const facts = JSON.parse(r.stdout);
    assert.equal(facts.subgraphNodes, 2);
    // w 4·4, shift 4, zero 1, and the else branch's scalar 'two'.
    assert.equal(facts.params, 16 + 4 + 1 + 1);
  });

  it('prints a table, with unknown shapes and dims as ?', async () => {
    const r = await runCli(['inspect', join(dir, 'unknown.onnx')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^x\s+float32\s+\[2, \?\]$/m);
    assert.match(r.stdout, /^Relu_out\s+float32\s+\?$/m);
    assert.match(r.stdout, /^Relu\s+1$/m);
    const json = JSON.parse((await runCli(['inspect', '--json', join(dir, 'unknown.onnx')])).stdout);
    assert.equal(json.outputs[0].shapeKnown, false);
  });

  it('--json on torch.onnx.export output: dynamic batch, constant subgraphs, shared weights, runs in onnxruntime', async () => {
    const r = await runCli(['inspect', '--json', join(import.meta.dirname, '..', 'fixtures', 'exported', 'resnet50.onnx')]);
    assert.equal(r.code, 0, r.stderr);
    const facts = JSON.parse(r.stdout);
    assert.equal(facts.batch, 'dynamic');
    assert.deepEqual(facts.symbolicDims, ['batch']);
    // The exporter's deduplicated biases, fanned out by Identity nodes.
    assert.equal(facts.constantSubgraphs, facts.ops.Identity);
    assert.ok(facts.constantSubgraphs > 40 && facts.sharedWeights > 0);
    assert.deepEqual(facts.runtimeProblems, []);
  });

  it('says which node pins a symbolic batch, which ops onnxruntime lacks; a fill value is no parameter; tied weights', async () => {
    const r = await runCli(['inspect', '--json', join(dir, 'pinned.onnx')]);
    assert.equal(r.code, 0, r.stderr);
    const facts = JSON.parse(r.stdout);
    assert.equal(facts.batch, 1);
    assert.match(facts.batchFixedBy, /Reshape '.*' to \[1, 4\] fixes the batch at 1/);
    assert.equal(facts.params, 2 + 1, 'the two shape vectors only, not the ConstantOfShape value');
    assert.deepEqual(facts.runtimeProblems, ['NoSuchOp']);
    const text = await runCli(['inspect', join(dir, 'pinned.onnx')]);
    assert.match(text.stdout, /batch\s+1 \(Reshape .* fixes the batch at 1\)/);
    assert.match(text.stdout, /onnxruntime cannot run it: NoSuchOp/);
    const gpt2 = JSON.parse((await runCli(['inspect', '--json', '--no-runtime-check', join(dir, 'gpt2.onnx')])).stdout);
    assert.ok(gpt2.tiedWeights.some((w: string) => /wte/.test(w)), `tied: ${gpt2.tiedWeights}`);
    assert.equal(gpt2.batch, 1);
    assert.equal(gpt2.runtimeProblems, undefined);
  });
});
