/**
 * Graph clean-ups (passes/simplify.ts) on chains: a run of no-ops collapses to its source, in the
 * middle of a graph and at its output, and merges rename later readers and the output alike.
 */
import { describe, expect, test } from 'vitest';
import type { Graph, Node } from '../../../src/ir/graph.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { checkGraph } from '../../../src/ir/verify.js';
import { fuseActivation, removeNoOps } from '../../../src/passes/simplify.js';

const dense = (name: string, input: string): Node => ({ name, op: 'dense', inputs: [input], output: name, kernel: { shape: [4, 4], data: new Float32Array(16).fill(0.1) }, bias: null, activation: 'linear' });
const identity = (name: string, input: string): Node => ({ name, op: 'identity', inputs: [input], output: name });
const relu = (name: string, input: string): Node => ({ name, op: 'activation', inputs: [input], output: name, fn: 'relu' });
const sigmoid = (name: string, input: string): Node => ({ name, op: 'activation', inputs: [input], output: name, fn: { fn: 'sigmoid' } });
const graph = (nodes: Node[], output: string): Graph => ({ name: 'g', inputs: [{ name: 'x', shape: [4] }], nodes, outputs: [output], notes: [] });

describe('simplify', () => {
  test('Identity → Dropout → Relu: both no-ops go, the relu reads the dense (it read the first no-op\'s vanished output)', () => {
    const g = removeNoOps(graph([dense('fc', 'x'), identity('id', 'fc'), identity('drop', 'id'), relu('r', 'drop')], 'r'));
    expect(g.nodes.map((n) => [n.name, n.inputs])).toEqual([['fc', ['x']], ['r', ['fc']]]);
    expect(() => checkGraph(g)).not.toThrow();
  });

  test('no-ops at the output: the output is renamed to their source', () => {
    const g = removeNoOps(graph([dense('fc', 'x'), identity('id', 'fc'), identity('drop', 'id')], 'drop'));
    expect(g.outputs).toEqual(['fc']);
    expect(() => checkGraph(g)).not.toThrow();
  });

  test('dense → relu → dense → relu, the last one the output: each relu merges, readers and output follow', () => {
    const g = fuseActivation(graph([dense('a', 'x'), relu('ra', 'a'), dense('b', 'ra'), relu('rb', 'b')], 'rb'));
    expect(g.nodes.map((n) => [n.name, n.inputs, n.op === 'dense' && n.activation])).toEqual([['a', ['x'], 'relu'], ['b', ['a'], 'relu']]);
    expect(g.outputs).toEqual(['b']);
  });

  // found by test/fuzz/onnx-new-ops (a Clip after a ReLU whose output a MaxPool also read): the clip merged too, and the
  // max pool read clipped values
  test('dense → relu → {clip, add}: the relu merges, the clip does not (the relu\'s output has another reader); = the graph unfused', () => {
    const clip: Node = { name: 'c', op: 'activation', inputs: ['r'], output: 'c', fn: { clip: [-0.25, 0.25] } };
    const g0 = graph([dense('a', 'x'), relu('r', 'a'), clip, { name: 'sum', op: 'add', inputs: ['c', 'r'], output: 'sum' }], 'sum');
    const g = fuseActivation(g0);
    expect(g.nodes.map((n) => [n.name, n.inputs, n.op === 'dense' ? n.activation : n.op === 'activation' ? n.fn : n.op])).toEqual([['a', ['x'], 'relu'], ['c', ['a'], { clip: [-0.25, 0.25] }], ['sum', ['c', 'a'], 'add']]);
    const x = Float32Array.of(1, 2, -1, 3);
    expect(Array.from(evaluateOutput(g, x))).toEqual(Array.from(evaluateOutput(g0, x)));
  });

  test('dense → relu (an output) → clip: the clip stays apart', () => {
    const clip: Node = { name: 'c', op: 'activation', inputs: ['r'], output: 'c', fn: 'relu6' };
    const g = fuseActivation({ ...graph([dense('a', 'x'), relu('r', 'a'), clip], 'c'), outputs: ['c', 'r'] });
    expect(g.nodes.map((n) => n.name)).toEqual(['a', 'c']);
    expect(g.outputs).toEqual(['c', 'a']);
  });

  test('a chain of 20,000 no-ops collapses in one pass', () => {
    const nodes = [dense('fc', 'x'), ...Array.from({ length: 20_000 }, (_, i) => identity(`id${i}`, i === 0 ? 'fc' : `id${i - 1}`))];
    const g = removeNoOps(graph(nodes, 'id19999'));
    expect(g.nodes).toHaveLength(1);
    expect(g.outputs).toEqual(['fc']);
  });

  test('a chain of 50,000 sigmoids: the first fuses into the dense, each later one finds its producer by name (a search per node took minutes at 100,000)', () => {
    const nodes = [dense('fc', 'x'), ...Array.from({ length: 50_000 }, (_, i) => sigmoid(`s${i}`, i === 0 ? 'fc' : `s${i - 1}`))];
    const g = fuseActivation(graph(nodes, 's49999'));
    expect(g.nodes).toHaveLength(50_000);
    expect(g.nodes[0]).toMatchObject({ name: 'fc', activation: { fn: 'sigmoid' } });
    expect(g.nodes[1]!.inputs).toEqual(['fc']);
    expect(g.outputs).toEqual(['s49999']);
    expect(() => checkGraph(g)).not.toThrow();
  }, 5_000); // 12 s on a shared machine before, 0.1 s after
});
