/** `--input NAME=d0,d1,...` parsing and the rules that turn declared (maybe symbolic) dims into concrete ones. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MoparError } from '../../src/core/errors.js';
import { buildGraph, GraphBuilder, openModel, parseInputFlags, resolveInputShapes, saveModel } from '../../src/graph/index.js';
import { fixture } from '../fixtures/graphs.js';

const moparError = (re: RegExp) => (e: unknown) => e instanceof MoparError && e.exitCode === 2 && re.test(e.message);

describe('parseInputFlags', () => {
  it('parses repeated NAME=dims flags, names with = and dots, and scalars', () => {
    assert.deepEqual(parseInputFlags(['input_ids=1,128', 'x.1=2, 3 ,4', 'a=b=5', 'scalar=']),
      { input_ids: [1, 128], 'x.1': [2, 3, 4], 'a=b': [5], scalar: [] });
    assert.deepEqual(parseInputFlags(undefined), {});
  });
  it('rejects malformed flags with a message quoting them', () => {
    assert.throws(() => parseInputFlags(['nodims']), moparError(/NAME=d0,d1,\.\.\. but got 'nodims'/));
    assert.throws(() => parseInputFlags(['=1,2']), moparError(/but got '=1,2'/));
    assert.throws(() => parseInputFlags(['x=1,0']), moparError(/positive integers, got '1,0'/));
    assert.throws(() => parseInputFlags(['x=1,-3']), moparError(/positive integers/));
    assert.throws(() => parseInputFlags(['x=1,2.5']), moparError(/positive integers/));
    assert.throws(() => parseInputFlags(['x=1,,2']), moparError(/positive integers/));
    assert.throws(() => parseInputFlags(['x=n,4']), moparError(/positive integers/));
  });
});

describe('resolveInputShapes', () => {
  it('makes a symbolic leading (batch) dim 1 and keeps fixed dims', () => {
    assert.deepEqual(resolveInputShapes(buildGraph(fixture('paddle-style').build())), { x: [1, 3, 6, 6] });
    assert.deepEqual(resolveInputShapes(buildGraph(fixture('embedding').build())), { input_ids: [1, 7], attention_mask: [1, 7] });
  });
  it('lets --input fix any symbolic dim, batch included', () => {
    const g = buildGraph(fixture('symbolic-seq').build());
    assert.deepEqual(resolveInputShapes(g, { input_ids: [3, 9] }), { input_ids: [3, 9] });
    assert.deepEqual(resolveInputShapes(buildGraph(fixture('paddle-style').build()), { x: [4, 3, 6, 6] }), { x: [4, 3, 6, 6] });
  });
  it('errors on a symbolic non-leading dim nobody fixed, naming the input, the dim and the fix', () => {
    const g = buildGraph(fixture('symbolic-seq').build());
    assert.throws(() => resolveInputShapes(g),
      moparError(/input 'input_ids' has symbolic dim 1 \('sequence'\); fix it with --input input_ids=1,N/));
  });
  it('calls a dim with neither value nor name an unnamed dynamic dim', () => {
    const b = new GraphBuilder('unnamed');
    const x = b.input('x', 'float32', [1, 'n']);
    const dim = b.inputs[0]!.type!.value.value as { shape: { dim: { value: { case: undefined } }[] } };
    dim.shape.dim[1]!.value = { case: undefined };
    b.output(b.node('Relu', [x]), 'float32');
    assert.throws(() => resolveInputShapes(buildGraph(b.model(13))), moparError(/input 'x' has unnamed dynamic dim 1; fix it with --input x=1,N/));
  });

  it('rejects overrides that contradict the model or name no input', () => {
    const g = buildGraph(fixture('paddle-style').build());
    assert.throws(() => resolveInputShapes(g, { x: [1, 4, 6, 6] }), moparError(/dim 1 is fixed to 3 by the model, not 4/));
    assert.throws(() => resolveInputShapes(g, { x: [1, 3, 6] }), moparError(/declares rank 4 but 3 dims were given/));
    assert.throws(() => resolveInputShapes(g, { y: [1] }), moparError(/'y', which is not an input of the model \(inputs: x\)/));
  });
});

describe('openModel', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'mopar-open-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fails before running anything when a symbolic dim is unresolved, and works once --input fixes it', async () => {
    const file = join(dir, 'seq.onnx');
    saveModel(fixture('symbolic-seq').build(), file);
    process.env.MOPAR_CACHE_DIR = join(dir, 'cache');
    await assert.rejects(openModel(file), moparError(/input 'input_ids' has symbolic dim 1 \('sequence'\)/));
    const opened = await openModel(file, parseInputFlags(['input_ids=2,5']));
    assert.deepEqual(opened.inputShapes, { input_ids: [2, 5] });
    const out = opened.graph.outputs[0]!;
    assert.deepEqual(opened.graph.tensors.get(out)!.shape, [2, 4]);
    // Every activation got a concrete shape and dtype from the onnxruntime run.
    for (const n of opened.graph.nodes) for (const o of n.outputs) {
      const t = opened.graph.tensors.get(o)!;
      assert.ok(t.dtype && t.shape && t.shape.every((d) => typeof d === 'number'), `${o} has a concrete shape`);
    }
    // Second open hits the shape cache and gives the same table.
    const again = await openModel(file, { input_ids: [2, 5] });
    assert.deepEqual(again.graph.tensors.get(out)!.shape, [2, 4]);
    delete process.env.MOPAR_CACHE_DIR;
  });
});
