/**
 * Tensors the byte reader cannot read (strings here) are compared by their whole content: two models that differ
 * only in a string Constant must not share it (an always-empty stand-in once made every such tensor "equal").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, commonPrefix, create, GraphBuilder, TensorProtoSchema, type Graph } from '../../src/graph/index.js';

function labelsModel(labels: string[]): Graph {
  const b = new GraphBuilder('labels');
  const x = b.input('x', 'float32', [1, 4]);
  const value = create(TensorProtoSchema, { name: 'labels', dataType: 8, dims: [BigInt(labels.length)], stringData: labels.map((l) => new TextEncoder().encode(l)) });
  const lab = b.node('Constant', [], { value }, { name: 'labels' });
  b.output(b.node('Identity', [lab], {}, { name: 'names', outputNames: ['names'] }), 'string', [labels.length]);
  b.output(b.node('Relu', [x], {}, { name: 'relu', outputNames: ['y'] }), 'float32', [1, 4]);
  return buildGraph(b.model(17));
}

test('common prefix: string Constants with different values are not shared; equal ones are', () => {
  const differ = commonPrefix([labelsModel(['cat', 'dog']), labelsModel(['car', 'bus'])]);
  assert.ok(!differ.nodes[0]!.includes('labels'), `prefix ${differ.nodes[0]!.join(', ')}`);
  const same = commonPrefix([labelsModel(['cat', 'dog']), labelsModel(['cat', 'dog'])]);
  assert.ok(same.nodes[0]!.includes('labels'), `prefix ${same.nodes[0]!.join(', ')}`);
});
