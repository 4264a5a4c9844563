// SPDX-License-Identifier: MIT
/**
 * ONNX activations the threshold unit runs as exact step tables: Sigmoid, Tanh, HardSigmoid,
 * HardSwish, LeakyRelu, PRelu (per channel), Elu, Selu, Gelu (erf and tanh), Softplus, Softsign, Mish,
 * ThresholdedRelu. (x·Sigmoid(x) and x·HardSigmoid(x), written as a Mul of two tensors, are found by Mul;
 * GELU and Mish written with Erf, Tanh and Softplus by fuse-functions.ts; any other element-wise function of one
 * tensor, Erf, Exp, Log, Sqrt, Reciprocal, Pow and Celu included, by fuse-elementwise.ts.)
 */
import type { TableActivation } from '../ir/activations.js';
import type { ExprStep } from '../ir/expression.js';
import { ONLY_FUSED } from './fuse-elementwise.js';
import { Op, type Built } from './onnx-op.js';

const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

function table(o: Op, fn: TableActivation): Built[] {
  return [{ ...o.base([o.activation(0)]), op: 'activation', fn }];
}

function prelu(o: Op): Built[] {
  const x = o.activation(0);
  const shape = o.ctx.onnxShape(x);
  const c = shape.length >= 2 ? shape[o.channelAxis(x)]! : 1;
  // PRelu-1/6 (torch 0.3's nn.PReLU(C)) holds one slope or one per channel as [C], whatever X's rank; from 7 a slope broadcasts as numpy's rule says
  const legacy = o.ctx.opset < 7;
  const slopes = o.perChannel(o.input(1), c, 'slope', legacy ? {} : { rank: shape.length, axis: shape.length >= 2 ? o.channelAxis(x) : 0 });
  return [{ ...o.base([x]), op: 'activation', fn: { fn: 'prelu', slopes: Array.from(slopes) } }];
}

function selu(o: Op): Built[] {
  const alpha = o.n.attrs.float('alpha', SELU_ALPHA);
  const gamma = o.n.attrs.float('gamma', SELU_GAMMA);
  if (Math.abs(gamma - SELU_GAMMA) > 1e-6) throw o.fail(`gamma ${gamma} is not supported (only the default ${SELU_GAMMA})`);
  return table(o, { fn: 'selu', alpha });
}

function gelu(o: Op): Built[] {
  const approximate = o.n.attrs.string('approximate', 'none');
  if (approximate !== 'none' && approximate !== 'tanh') throw o.fail(`approximate "${approximate}" is not supported (none or tanh)`);
  return table(o, { fn: approximate === 'tanh' ? 'gelu_tanh' : 'gelu' });
}

/**
 * Erf, Exp, Log, Sqrt, Reciprocal, Pow, Celu: taken as (part of) an element-wise function of one tensor
 * (fuse-elementwise.ts); here, when not, one node as its own table when its other input is a scalar constant — one
 * folded during the walk too (GeM pooling's x.pow(1 / p), p a learned scalar: Reciprocal(p) folds, onnx-fold.ts).
 */
function fusedOnly(o: Op): Built[] {
  const op = o.n.opType;
  const scalar = (i: number): number | undefined => {
    const t = o.optional(i);
    return t === undefined || !o.ctx.isConst(t) ? undefined : o.ctx.scalarConst(t, o.site);
  };
  const unary: Record<string, 'erf' | 'exp' | 'log' | 'sqrt' | 'reciprocal'> = { Erf: 'erf', Exp: 'exp', Log: 'log', Sqrt: 'sqrt', Reciprocal: 'reciprocal' };
  let expr: ExprStep[] | undefined;
  if (op in unary) expr = [{ op: 'x' }, { op: unary[op]!, args: [0] }];
  else if (op === 'Celu') expr = [{ op: 'x' }, { op: 'celu', args: [0], p: [o.n.attrs.float('alpha', 1)] }];
  else if (op === 'Pow' && !o.ctx.isConst(o.input(0)) && scalar(1) !== undefined) expr = [{ op: 'x' }, { op: 'const', value: scalar(1)! }, { op: 'pow', args: [0, 1] }];
  if (expr === undefined || (op !== 'Pow' && o.n.inputs.length !== 1)) {
    throw o.fail('is supported only in an element-wise function of one computed tensor with scalar constants (which becomes one table activation); here it reads a constant of several values, a second computed tensor, or a tensor read elsewhere too');
  }
  return table(o, { fn: 'expr', expr });
}

export const ACTIVATION_OPS: Readonly<Record<string, (o: Op) => Built[]>> = {
  ...Object.fromEntries(ONLY_FUSED.map((op) => [op, fusedOnly])),
  Sigmoid: (o) => table(o, { fn: 'sigmoid' }),
  Tanh: (o) => table(o, { fn: 'tanh' }),
  HardSigmoid: (o) => table(o, { fn: 'hardsigmoid', alpha: o.n.attrs.float('alpha', 0.2), beta: o.n.attrs.float('beta', 0.5) }),
  HardSwish: (o) => table(o, { fn: 'hardswish' }),
  LeakyRelu: (o) => table(o, { fn: 'leakyrelu', alpha: o.n.attrs.float('alpha', 0.01) }),
  PRelu: prelu,
  Elu: (o) => table(o, { fn: 'elu', alpha: o.n.attrs.float('alpha', 1) }),
  Selu: selu,
  Gelu: gelu,
  Softplus: (o) => table(o, { fn: 'softplus' }),
  Mish: (o) => table(o, { fn: 'mish' }),
  Softsign: (o) => table(o, { fn: 'softsign' }),
  ThresholdedRelu: (o) => table(o, { fn: 'thresholdedrelu', alpha: o.n.attrs.float('alpha', 1) }),
};
