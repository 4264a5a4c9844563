// SPDX-License-Identifier: MIT
/**
 * Keras / TF.js recurrent layers (LSTM, GRU, SimpleRNN, and Bidirectional of them) over a sequence of a
 * fixed number of steps, unrolled by ir/recurrent.ts. Keras's weights: kernel [F, n·U] and
 * recurrent_kernel [U, n·U] with the gates side by side (LSTM i, f, c, o; GRU z, r, h), bias [n·U]
 * (GRU reset_after: [2, 3U], the input bias then the recurrent one).
 */
import { shownValue } from '../diagnostics/error.js';
import type { Activation, Node, Tensor } from '../ir/graph.js';
import { checkUnrolled, unrollNodes, type Cell, type CellKind, type Gate, type Outputs } from '../ir/recurrent.js';
import { Layer, type LayerEntry } from './tfjs-layer.js';

const KINDS: Readonly<Record<string, CellKind>> = { LSTM: 'lstm', GRU: 'gru', SimpleRNN: 'rnn' };
const GATES: Readonly<Record<CellKind, number>> = { lstm: 4, gru: 3, rnn: 1 };

/** Columns [from, from + n) of a row-major [rows, cols] matrix. */
function columns(t: Tensor, from: number, n: number): Tensor {
  const [rows, cols] = t.shape as [number, number];
  const data = new Float32Array(rows * n);
  for (let i = 0; i < rows; i++) data.set(t.data.subarray(i * cols + from, i * cols + from + n), i * n);
  return { shape: [rows, n], data };
}

/** A weight of the layer by kind (a Bidirectional's direction's own). */
type Weight = (kind: string) => Tensor;

/** An activation of the recurrence: a function of one value (softmax is not). */
function activationOf(x: Layer, key: string, fallback: string): Activation {
  const a = x.get(key) === undefined || x.get(key) === null ? new Layer({ ...x.l, config: { ...x.l.config, [key]: fallback } }, x.inputs, x.ctx).activation(key) : x.activation(key);
  if (a === 'softmax') throw x.fail('NN110', `${key} softmax is not supported in a recurrent layer (only a function of one value)`);
  return a;
}

function cellOf(x: Layer, weight: Weight, features: number): Cell {
  const kind = KINDS[x.l.className]!;
  const units = x.get('units');
  if (!Number.isInteger(units) || (units as number) < 1) throw x.fail('NN107', `units is ${shownValue(units)}; expected a positive integer`);
  const u = units as number;
  const n = GATES[kind];
  const kernel = weight('kernel');
  const recurrent = weight('recurrent_kernel');
  if (kernel.shape.length !== 2 || kernel.shape[0] !== features || kernel.shape[1] !== n * u) throw x.fail('NN201', `kernel has shape ${shownValue(kernel.shape)}; expected [${features}, ${n * u}] (${features} features, ${n} × ${u} units)`);
  if (recurrent.shape.length !== 2 || recurrent.shape[0] !== u || recurrent.shape[1] !== n * u) throw x.fail('NN201', `recurrent_kernel has shape ${shownValue(recurrent.shape)}; expected [${u}, ${n * u}]`);
  const resetAfter = kind === 'gru' && x.get('reset_after') === true;
  const bias = (x.get('use_bias') ?? true) === true ? weight('bias') : null;
  const rows = resetAfter ? 2 : 1;
  if (bias !== null && (bias.data.length !== rows * n * u || (resetAfter && (bias.shape.length !== 2 || bias.shape[0] !== 2)))) throw x.fail('NN201', `bias has shape ${shownValue(bias.shape)}; expected ${resetAfter ? `[2, ${n * u}] (reset_after)` : `[${n * u}]`}`);
  const part = (row: number, k: number): Float32Array | null => (bias === null ? null : bias.data.slice(row * n * u + k * u, row * n * u + (k + 1) * u));
  const gates = Array.from({ length: n }, (_, k): Gate => {
    const w = columns(kernel, k * u, u);
    const r = columns(recurrent, k * u, u);
    if (!resetAfter) return { w, r, b: part(0, k) };
    // reset_after: the recurrent bias of z and r adds to their input bias; the candidate's is inside r ⊙ (h·R + rb)
    const [bi, br] = [part(0, k), part(1, k)];
    if (k === 2) return { w, r, b: bi, rb: br };
    return { w, r, b: bi === null || br === null ? null : bi.map((v, j) => v + br[j]!) };
  });
  // tfjs writes hard_sigmoid as the gates' default, Keras sigmoid; both write it into the config
  const f = activationOf(x, 'recurrent_activation', x.ctx.writer === 'tfjs' ? 'hard_sigmoid' : 'sigmoid');
  const g = activationOf(x, 'activation', 'tanh');
  return { kind, units: u, gates, f, g, h: g, ...(kind === 'gru' ? { resetAfter } : {}) };
}

/** What every recurrent layer refuses: a state kept between calls, a steps-first input. */
function checkSettings(x: Layer): void {
  if (x.get('time_major') === true) throw x.fail('NN110', 'time_major: true is not supported (only batch-major sequences [batch, steps, features])');
  if (x.get('stateful') === true) throw x.fail('NN110', 'stateful: true is not supported (the state would carry from one sample to the next; nnchip starts every sample from zeros)');
}

/** The sequence input's steps T and features F: a map [1, T, F]. */
function sequenceOf(x: Layer): [number, number] {
  const shape = x.ctx.shapeOf(x.one());
  if (shape.length !== 3 || shape[0] !== 1) throw x.fail('NN110', `${x.l.className} reads a sequence [steps, features]; its input has shape ${shownValue(shape)}`);
  return [shape[1]!, shape[2]!];
}

/**
 * LSTM, GRU, SimpleRNN: the last h [U], or with return_sequences every step's [1, T, U] (go_backwards: in the
 * order read); return_state: also h as output 1 (`<layer>:1`) and LSTM's c as output 2.
 */
export function recurrent(x: Layer): Node[] {
  checkSettings(x);
  const [steps, features] = sequenceOf(x);
  const cell = cellOf(x, (k) => x.weight(k), features);
  checkUnrolled(cell, steps, features, x.ctx.limits, x.l.name);
  const [seq, state] = [x.get('return_sequences') === true, x.get('return_state') === true];
  const [h, c] = [`${x.l.name}:1`, `${x.l.name}:2`];
  const out: Outputs = { ...(seq ? { sequence: { name: x.l.name, inTime: false } } : { hidden: x.l.name }), ...(state && seq ? { hidden: h } : {}), ...(state && cell.kind === 'lstm' ? { cell: c } : {}) };
  const nodes = unrollNodes(x.l.name, x.one(), [steps, features], cell, x.get('go_backwards') === true, out);
  // the last h is the layer's output too: its state output a view of it
  return state && !seq ? [...nodes, { name: h, op: 'identity', inputs: [x.l.name], output: h }] : nodes;
}

/**
 * Bidirectional(layer, merge_mode): the layer forward and backward (go_backwards; its sequence put
 * back in time order), merged by concat, sum or ave. Weights: `<wrapper>/forward_<inner>/kind`.
 */
export function bidirectional(x: Layer): Node[] {
  const inner = x.get('layer');
  const obj = typeof inner === 'object' && inner !== null && !Array.isArray(inner) ? (inner as Record<string, unknown>) : {};
  const cls = obj['class_name'];
  const config = typeof obj['config'] === 'object' && obj['config'] !== null ? (obj['config'] as Record<string, unknown>) : undefined;
  if (typeof cls !== 'string' || config === undefined) throw x.fail('NN107', 'the wrapped layer has no class_name/config');
  if (!Object.hasOwn(KINDS, cls)) throw x.fail('NN110', `Bidirectional of ${cls} is not supported (only of LSTM, GRU and SimpleRNN)`);
  const innerName = String(config['name']);
  const mode = x.get('merge_mode') === undefined ? 'concat' : x.get('merge_mode');
  if (mode !== 'concat' && mode !== 'sum' && mode !== 'ave') throw x.fail('NN110', `merge_mode ${shownValue(mode)} is not supported (concat, sum, ave)`);
  // the inner layer's config (its settings, and errors naming the wrapper)
  const fwd = new Layer({ className: cls, name: x.l.name, config, inbound: x.l.inbound }, x.inputs, x.ctx);
  const weight = (dir: 'forward' | 'backward'): Weight => (kind) => {
    const key = `${x.l.name}/${dir}_${innerName}/${kind}`;
    const w = x.ctx.weights.get(key);
    if (w === undefined) throw x.fail('NN201', `no weight "${key}" in the weightsManifest`);
    return w;
  };
  checkSettings(fwd);
  if (fwd.get('return_state') === true) throw x.fail('NN110', 'Bidirectional of a layer with return_state: true is not supported (only its merged output)');
  if (fwd.get('go_backwards') === true) throw x.fail('NN110', 'Bidirectional of a layer with go_backwards: true is not supported');
  const [steps, features] = sequenceOf(x);
  const seq = fwd.get('return_sequences') === true;
  const cells = [cellOf(fwd, weight('forward'), features), cellOf(fwd, weight('backward'), features)] as const;
  checkUnrolled(cells[0], 2 * steps, features, x.ctx.limits, x.l.name);
  const names = [`${x.l.name}/forward`, `${x.l.name}/backward`];
  const nodes = cells.flatMap((cell, d) => unrollNodes(names[d]!, x.one(), [steps, features], cell, d === 1, seq ? { sequence: { name: names[d]!, inTime: true } } : { hidden: names[d]! }));
  const u = cells[0].units;
  if (mode === 'concat') return [...nodes, { ...x.base(), op: 'concat', inputs: names }];
  if (mode === 'sum') return [...nodes, { ...x.base(), op: 'add', inputs: names }];
  const sum = `${x.l.name}/sum`;
  return [...nodes, { name: sum, op: 'add', inputs: names, output: sum }, { ...x.base(), inputs: [sum], op: 'batchNorm', scale: new Float32Array(u).fill(0.5), offset: new Float32Array(u) }];
}

/** Keras 3's name of each recurrent layer's cell, which owns its weights (`<layer>/lstm_cell/kernel`). */
const CELLS: Readonly<Record<string, string>> = { LSTM: 'lstm_cell', GRU: 'gru_cell', SimpleRNN: 'simple_rnn_cell' };

/**
 * The weights' owners beside the layers: a Bidirectional's two directions (`<wrapper>/forward_<inner>`,
 * `<wrapper>/backward_<inner>`), and, as aliases of their layer, Keras 3's cells (`<layer>/lstm_cell`,
 * `<wrapper>/forward_<inner>/lstm_cell`).
 */
export function recurrentOwners(layers: readonly LayerEntry[]): { owners: string[]; cells: [string, string][] } {
  const owners: string[] = [];
  const cells: [string, string][] = [];
  for (const l of layers) {
    if (Object.hasOwn(CELLS, l.className)) cells.push([`${l.name}/${CELLS[l.className]!}`, l.name]);
    const inner = l.config['layer'];
    if (l.className !== 'Bidirectional' || typeof inner !== 'object' || inner === null) continue;
    const { class_name: cls, config } = inner as { class_name?: unknown; config?: { name?: unknown } };
    for (const d of ['forward', 'backward']) {
      const owner = `${l.name}/${d}_${String(config?.name)}`;
      owners.push(owner);
      if (typeof cls === 'string' && Object.hasOwn(CELLS, cls)) cells.push([`${owner}/${CELLS[cls]!}`, owner]);
    }
  }
  return { owners, cells };
}
