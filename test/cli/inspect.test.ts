/** `mopar inspect` on exporter-style files: JSON per CONTRACTS.md, readable table, unknown shapes as '?'. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, GraphBuilder, saveModel, ValueInfoProtoSchema } from '../../src/graph/index.js';
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
});
