// SPDX-License-Identifier: MIT
/**
 * Small TF.js graph models written by hand in tfjs-converter's format (GraphDef nodes with op, input
 * and AttrValue JSON attributes: int64 lists as strings, strings base64; Const values in the
 * weightsManifest), for comparing the graph importer with TF.js's own loadGraphModel on one file.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import './tfjs-models.js'; // pins the CPU backend, quiet

interface TfNodeJson { name: string; op: string; input?: string[]; attr?: Record<string, unknown> }

const b64 = (s: string): string => Buffer.from(s).toString('base64');
/** AttrValue JSON helpers. */
export const attr = {
  ints: (v: number[]) => ({ list: { i: v.map(String) } }),
  str: (s: string) => ({ s: b64(s) }),
  strs: (v: string[]) => ({ list: { s: v.map(b64) } }),
  f: (v: number) => ({ f: v }),
  b: (v: boolean) => ({ b: v }),
  i: (v: number) => ({ i: String(v) }),
  type: (t = 'DT_FLOAT') => ({ type: t }),
};

/** A seeded pseudo-random float in [lo, hi). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export class GraphBuilder {
  readonly nodes: TfNodeJson[] = [];
  private readonly weights: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[] = [];
  private readonly bytes: Uint8Array[] = [];
  private readonly rand: () => number;
  private n = 0;
  constructor(readonly inputShape: number[], seed = 1) {
    this.rand = rng(seed);
    this.nodes.push({ name: 'x', op: 'Placeholder', attr: { dtype: attr.type(), shape: { shape: { dim: [-1, ...inputShape].map((d) => ({ size: String(d) })) } } } });
  }
  /** A Const node of the given values (random in [lo, hi) when `data` is a number count seed). */
  constant(shape: number[], data?: number[] | Float32Array | Int32Array, lo = -1, hi = 1): string {
    const count = shape.reduce((a, b) => a * b, 1);
    const values = data instanceof Int32Array ? data : Float32Array.from(data ?? Array.from({ length: count }, () => lo + (hi - lo) * this.rand()));
    const dtype = values instanceof Int32Array ? 'int32' : 'float32';
    const name = `const_${this.n++}`;
    this.weights.push({ name, shape, dtype });
    this.bytes.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    const type = dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    this.nodes.push({ name, op: 'Const', attr: { dtype: attr.type(type), value: { tensor: { dtype: type, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } } } });
    return name;
  }
  ints(values: number[]): string {
    return this.constant([values.length], Int32Array.from(values));
  }
  op(op: string, input: string[], attrs: Record<string, unknown> = {}): string {
    const name = `${op.toLowerCase()}_${this.n++}`;
    this.nodes.push({ name, op, input, attr: { T: attr.type(), ...attrs } });
    return name;
  }
  /** Write model.json + weights.bin (the last node is the output); returns the model.json path. */
  save(dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-graph-hand-'))): string {
    mkdirSync(dir, { recursive: true });
    const json = { format: 'graph-model', generatedBy: '2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0', modelTopology: { node: this.nodes, library: {}, versions: { producer: 1482 } }, weightsManifest: [{ paths: ['weights.bin'], weights: this.weights }] };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat(this.bytes));
    return join(dir, 'model.json');
  }
  /**
   * TF.js's loadGraphModel on the same nodes and weights, run on one flat sample of `shape` (by default the input's; the
   * sizes to feed a Placeholder holding −1); the output is `out`, by default the last node.
   */
  async tfjsRunner(out = this.nodes.at(-1)!.name, shape = this.inputShape): Promise<(x: Float32Array) => Float32Array> {
    const weightData = Buffer.concat(this.bytes);
    const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: { node: this.nodes, library: {}, versions: {} }, weightSpecs: this.weights, weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.length), format: 'graph-model' } as tf.io.ModelArtifacts));
    return (x) => tf.tidy(() => (model.execute(tf.tensor(x, [1, ...shape]), out) as tf.Tensor).dataSync() as Float32Array);
  }
}
