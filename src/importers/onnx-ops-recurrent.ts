// SPDX-License-Identifier: MIT
/**
 * ONNX LSTM, GRU and RNN (layout 0: X [T, 1, F]) unrolled over their T steps by ir/recurrent.ts, and the
 * Gather of one step that reads their outputs (torch's out[:, -1] and h_n[-1]). ONNX's weights: W
 * [D, n·U, F], R [D, n·U, U], B [D, 2·n·U] (W's bias then R's), the gates stacked (LSTM i, o, f, c; GRU
 * z, r, h). Y [T, D, 1, U] is the map [1, T, D·U] and Y_h / Y_c [D, 1, U] the vector [D·U]: the same
 * elements in order (OnnxView.exact), which reshapes and Transposes of unit axes keep.
 */
import { product, type Activation, type Node, type Tensor } from '../ir/graph.js';
import { DEFAULT_LIMITS } from '../ir/limits.js';
import { checkUnrolled, unrollNodes, type Cell, type CellKind, type Gate, type Outputs } from '../ir/recurrent.js';
import { Op, type Built, type OnnxView } from './onnx-op.js';
import { gatherChannels, gatherMapPosition, gathersChannels } from './onnx-gather.js';
import type { onnxSchema } from './onnx-tensors.js';
import { shownValue } from '../diagnostics/error.js';

type NodeProto = NonNullable<NonNullable<ReturnType<ReturnType<typeof onnxSchema>['ModelProto']['decode']>['graph']>['node']>[number];

const KINDS: Readonly<Record<string, CellKind>> = { LSTM: 'lstm', GRU: 'gru', RNN: 'rnn' };
const GATES: Readonly<Record<CellKind, number>> = { lstm: 4, gru: 3, rnn: 1 };
/** Where each of ir/recurrent.ts's gates sits in ONNX's stack: LSTM i, f, c, o from i, o, f, c. */
const ORDER: Readonly<Record<CellKind, readonly number[]>> = { lstm: [0, 2, 3, 1], gru: [0, 1, 2], rnn: [0] };
/** ONNX's activations (f, g, h), by default. */
const DEFAULTS: Readonly<Record<CellKind, readonly string[]>> = { lstm: ['Sigmoid', 'Tanh', 'Tanh'], gru: ['Sigmoid', 'Tanh'], rnn: ['Tanh'] };
const ACTIVATIONS: Readonly<Record<string, Activation>> = { Sigmoid: { fn: 'sigmoid' }, Tanh: { fn: 'tanh' }, Relu: 'relu', Softsign: { fn: 'softsign' }, Softplus: { fn: 'softplus' } };

/** The activations of direction d: f, g (h for LSTM), each a name of ACTIVATIONS. */
function activationsOf(o: Op, kind: CellKind, d: number): Activation[] {
  const per = DEFAULTS[kind].length;
  const given = o.n.attrs.strings('activations');
  if (o.n.attrs.has('activation_alpha') || o.n.attrs.has('activation_beta')) throw o.fail('activation_alpha / activation_beta are not supported (only activations without parameters)');
  const names = given === undefined ? DEFAULTS[kind] : given.slice(d * per, (d + 1) * per);
  if (names.length !== per) throw o.fail(`activations ${shownValue(given)} do not give ${per} per direction`);
  return names.map((a) => {
    const fn = ACTIVATIONS[a];
    if (fn === undefined) throw o.fail(`activation ${a} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
    return fn;
  });
}

/** Rows [from, from + n) of a [rows, cols] matrix, transposed to [cols, n] (x·W). */
function rowsT(data: Float32Array, at: number, n: number, cols: number): Tensor {
  const out = new Float32Array(cols * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < cols; i++) out[i * n + j] = data[at + j * cols + i]!;
  return { shape: [cols, n], data: out };
}

function cellOf(o: Op, kind: CellKind, d: number, [dirs, u, f]: readonly [number, number, number]): Cell {
  const n = GATES[kind];
  const w = o.ctx.floats(o.input(1), o.site, 'W');
  const r = o.ctx.floats(o.input(2), o.site, 'R');
  if (w.dims.join() !== [dirs, n * u, f].join()) throw o.fail(`W has shape ${shownValue(w.dims)}; expected [${dirs}, ${n * u}, ${f}]`);
  if (r.dims.join() !== [dirs, n * u, u].join()) throw o.fail(`R has shape ${shownValue(r.dims)}; expected [${dirs}, ${n * u}, ${u}]`);
  const bias = o.optional(3) === undefined ? undefined : o.ctx.floats(o.input(3), o.site, 'B');
  if (bias !== undefined && bias.dims.join() !== [dirs, 2 * n * u].join()) throw o.fail(`B has shape ${shownValue(bias.dims)}; expected [${dirs}, ${2 * n * u}]`);
  const lbr = kind === 'gru' && o.n.attrs.int('linear_before_reset', 0) !== 0;
  const b = (which: 0 | 1, g: number): Float32Array => (bias === undefined ? new Float32Array(u) : bias.data.slice((d * 2 + which) * n * u + g * u, (d * 2 + which) * n * u + (g + 1) * u));
  const gates = ORDER[kind].map((g, k): Gate => {
    const [wg, rg] = [rowsT(w.data, (d * n + g) * u * f, u, f), rowsT(r.data, (d * n + g) * u * u, u, u)];
    // linear_before_reset: the candidate's recurrent bias is inside r ⊙ (h·R + Rb)
    if (lbr && k === 2) return { w: wg, r: rg, b: b(0, g), rb: b(1, g) };
    return { w: wg, r: rg, b: b(0, g).map((v, j) => v + b(1, g)[j]!) };
  });
  const state = (i: number, what: string): Float32Array | undefined => {
    const t = o.optional(i);
    if (t === undefined) return undefined;
    if (!o.ctx.isConst(t)) throw o.fail(`${what} is computed at run time; only a constant initial state is supported`);
    const v = o.ctx.floats(t, o.site, what);
    if (v.dims.join() !== [dirs, 1, u].join()) throw o.fail(`${what} has shape ${shownValue(v.dims)}; expected [${dirs}, 1, ${u}]`);
    return v.data.slice(d * u, (d + 1) * u);
  };
  const [initialH, initialC] = [state(5, 'initial_h'), kind === 'lstm' ? state(6, 'initial_c') : undefined];
  const [fa, ga, ha] = activationsOf(o, kind, d);
  const acts = kind === 'rnn' ? { f: fa!, g: fa!, h: fa! } : { f: fa!, g: ga!, h: ha ?? ga! };
  return { kind, units: u, gates, ...acts, ...(kind === 'gru' ? { resetAfter: lbr } : {}), ...(initialH === undefined ? {} : { initialH }), ...(initialC === undefined ? {} : { initialC }) };
}

function recurrent(o: Op): Built[] {
  const kind = KINDS[o.n.opType]!;
  const x = o.activation(0);
  const shape = o.ctx.onnxShape(x);
  const v = o.ctx.view(x);
  const a = o.n.attrs;
  if (a.int('layout', 0) !== 0) throw o.fail('layout 1 (batch first) is not supported (torch exports layout 0)');
  if (a.has('clip')) throw o.fail('clip is not supported');
  if (a.int('input_forget', 0) !== 0) throw o.fail('input_forget 1 is not supported');
  // X [T, 1, F], its elements the IR map [1, T, F]'s
  const ir = o.ctx.irShape(x);
  if (shape.length !== 3 || shape[1] !== 1 || ir.length !== 3 || ir[1] !== shape[0] || ir[2] !== shape[2] || !(v.exact !== undefined || (v.last && v.rank === 3))) throw o.fail(`X "${x}" has shape ${shownValue(shape)}; expected one sequence [T, 1, F] (the model's input, or its [1, T, F] transposed)`);
  const [steps, , f] = shape as [number, number, number];
  const direction = a.string('direction', 'forward');
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') throw o.fail(`direction ${direction} is not supported`);
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const u = a.int('hidden_size', 0);
  if (!(u >= 1)) throw o.fail('hidden_size is missing or not positive');
  const lens = o.optional(4);
  if (lens !== undefined && (!o.ctx.isConst(lens) || o.ctx.ints(lens, o.site, 'sequence_lens').some((l) => l !== steps))) throw o.fail(`sequence_lens is not the constant full length ${steps} (only whole sequences are supported)`);
  if (kind === 'lstm' && o.optional(7) !== undefined && o.ctx.floats(o.input(7), o.site, 'P').data.some((p) => p !== 0)) throw o.fail('peepholes (P) are not supported');
  const cells = Array.from({ length: dirs }, (_, d) => cellOf(o, kind, d, [dirs, u, f]));
  checkUnrolled(cells[0]!, dirs * steps, f, { ...DEFAULT_LIMITS, maxParams: o.ctx.maxFloats }, o.n.name);
  const [y, yh, yc] = [0, 1, 2].map((i) => o.n.outputs[i] ?? '') as [string, string, string];
  if (kind !== 'lstm' && yc !== '') throw o.fail('has no third output');
  const names = (t: string, d: number): string => (dirs === 1 ? t : `${t}/${d === 0 ? 'forward' : 'backward'}`);
  const nodes: Built[] = [];
  cells.forEach((cell, d) => {
    const out: Outputs = {
      ...(y !== '' ? { sequence: { name: names(y, d), inTime: true } } : {}),
      ...(yh !== '' ? { hidden: names(yh, d) } : {}),
      ...(yc !== '' ? { cell: names(yc, d) } : {}),
    };
    if (Object.keys(out).length === 0) throw o.fail('none of its outputs is used');
    const prefix = dirs === 1 ? o.n.name : `${o.n.name}/${d === 0 ? 'forward' : 'backward'}`;
    nodes.push(...unrollNodes(prefix, x, [steps, f], cell, d === 1 || direction === 'reverse', out));
  });
  // one direction: the outputs are the unrolled nodes' (given their views); two: each the concatenation of both
  const shapes = new Map<string, number[]>([[y, [steps, dirs, 1, u]], [yh, [dirs, 1, u]], [yc, [dirs, 1, u]]].filter(([t]) => t !== '') as [string, number[]][]);
  const viewOf = (s: number[]): OnnxView => ({ rank: s.length, last: true, exact: s });
  if (dirs === 1) return nodes.map((n) => (shapes.has(n.output) ? { ...n, view: viewOf(shapes.get(n.output)!) } : n));
  return [...nodes, ...[...shapes].map(([t, s]) => ({ name: t, op: 'concat', inputs: [names(t, 0), names(t, 1)], output: t, view: viewOf(s) }) as Built)];
}

/**
 * Gather of one step (a constant index) along the steps of a sequence ([1, T, F] or a recurrent op's Y
 * [T, D, 1, U]), or of one direction's state from Y_h / Y_c [D, 1, U]: a crop of the step, or a 0/1
 * dense picking the direction's values.
 */
function gather(o: Op): Built[] {
  const x = o.activation(0);
  const shape = o.ctx.onnxShape(x);
  const v = o.ctx.view(x);
  const ir = o.ctx.irShape(x);
  if (gathersChannels(o)) return gatherChannels(o);
  // a map's row, column or pixel (y[:, :, -1] of [N, C, L], x[:, :, 0] of [N, C, H, W], a class token of a map's view)
  if (v.exact === undefined && !(v.rank === 3 && v.last && v.flat === undefined) && ir.length === 3) return gatherMapPosition(o);
  const axis = ((a) => (a < 0 ? a + shape.length : a))(o.n.attrs.int('axis', 0));
  const index = o.ctx.ints(o.input(1), o.site, 'indices');
  if (index.length !== 1) throw o.fail(`only one index is supported (got ${index.length})`);
  const n = shape[axis]!;
  const i = index[0]! < 0 ? index[0]! + n : index[0]!;
  if (!(i >= 0 && i < n)) throw o.fail(`index ${index[0]!} is outside axis ${axis} of ${shownValue(shape)}`);
  const inOrder = v.exact !== undefined || (v.rank === 3 && v.last && v.flat === undefined && ir.length === 3);
  const [before, after] = [product(shape.slice(0, axis)), product(shape.slice(axis + 1))];
  const kept = (o.ctx.constShape(o.input(1)) ?? []).length > 0;
  const to = kept ? shape.map((d, k) => (k === axis ? 1 : d)) : shape.filter((_, k) => k !== axis);
  if (!inOrder || before !== 1 || !(axis < shape.length)) throw o.fail(`Gather along axis ${axis} of ${shownValue(shape)} is not supported (only one step of a sequence, or one direction of a recurrent state)`);
  const view: OnnxView = to.length === 2 && to[0] === 1 ? { rank: 2, last: false } : { rank: to.length, last: true, exact: to };
  if (ir.length === 3 && n === ir[1] && after === ir[2]) {
    const step = `${o.out}/step`;
    return [
      { name: step, op: 'crop', inputs: [x], output: step, crop: [0, i, 0, n - 1 - i] } as Node,
      { ...o.base([step]), op: 'flatten', view },
    ];
  }
  if (ir.length === 1 && n * after === ir[0]) {
    const data = new Float32Array(ir[0]! * after);
    for (let j = 0; j < after; j++) data[(i * after + j) * after + j] = 1;
    return [{ ...o.base([x]), op: 'dense', kernel: { shape: [ir[0]!, after], data }, bias: null, activation: 'linear', view }];
  }
  throw o.fail(`Gather along axis ${axis} of ${shownValue(shape)} is not supported (only one step of a sequence, or one direction of a recurrent state)`);
}

/** Whether a recurrent op (LSTM, GRU, RNN) reads the tensor as its sequence X [T, 1, F]. */
export function readsSteps(nodes: readonly NodeProto[], name: string): boolean {
  return nodes.some((n) => (n.input ?? [])[0] === name && Object.hasOwn(KINDS, n.opType ?? ''));
}

/** A Transpose [1, 0, 2] of a batch-first sequence [1, T, F] to the X [T, 1, F] a recurrent op reads (torch batch_first). */
export function transposedToSteps(nodes: readonly NodeProto[], n: NodeProto): boolean {
  const perm = (n.attribute ?? []).find((a) => a.name === 'perm')?.ints?.map(Number);
  return n.opType === 'Transpose' && JSON.stringify(perm) === '[1,0,2]' && readsSteps(nodes, n.output?.[0] ?? '');
}

export const RECURRENT_OPS: Readonly<Record<string, (o: Op) => Built[]>> = { LSTM: recurrent, GRU: recurrent, RNN: recurrent, Gather: gather };
