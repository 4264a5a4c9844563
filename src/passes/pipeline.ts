// SPDX-License-Identifier: MIT
/**
 * THE pass order. Graph passes are pure Graph → Graph functions (checkGraph runs after each one
 * when `verify` is set, as the tests do); then quantization parameters, GemmOps, ISA lowering,
 * scheduling, and the Program.
 */
import { internal, listNames, NnchipError } from '../diagnostics/error.js';
import { isTable, outputLayoutOf, type Graph, type Node } from '../ir/graph.js';
import { DEFAULT_LIMITS, type Limits } from '../ir/limits.js';
import { checkGraph } from '../ir/verify.js';
import { MAX_OUTPUTS } from '../isa/validate.js';
import type { ArrayConfig } from '../isa/config.js';
import { modelDims } from '../isa/layout.js';
import { encodeOrOverflow, fieldOverflow, rememberEncoded } from '../isa/encode.js';
import { freezeList } from '../isa/list-memo.js';
import { checkProgram } from '../isa/interpret.js';
import type { LayerInfo, Program } from '../isa/program.js';
import { batchGemm } from './batch.js';
import { toGemmOps } from './gemm.js';
import type { KernelCodes } from './weight-codes.js';
import type { GemmProgram } from './gemm-types.js';
import { checkBatchBudget, checkInstructionBudget, checkMadeUpWeights, checkPoolBudget } from './lower-budget.js';
import { checkBuffers, lowerToIsa, type InputWindowsChoice, type LoweredProgram } from './lower.js';
import { expandProducts, hasProducts, productOperands } from '../ir/product.js';
import { calibrate, calibrationCount, rangesOf, type Calibration, type CollapsedTensor, type QuantParams } from './quantize.js';
import { foldScaleForward } from './fold-scale.js';
import { clampPixelGates } from './norm-clamp.js';
import { copyFlattenedMaps } from './flatten-copy.js';
import { dropFinalSoftmax, foldBatchnorm, foldPad, fuseActivation, mergeBatchnorms, removeNoOps } from './simplify.js';
import { separatePoolBorders } from './pool-border.js';
import { trimPool } from './trim-pool.js';
import { wholeMapPools } from './whole-map-pool.js';

export const GRAPH_PASSES: readonly { readonly name: string; readonly run: (g: Graph) => Graph }[] = [
  { name: 'remove-no-ops', run: removeNoOps },
  { name: 'drop-final-softmax', run: dropFinalSoftmax },
  { name: 'fold-pad', run: foldPad },
  { name: 'trim-pool', run: trimPool },
  { name: 'whole-map-pool', run: wholeMapPools },
  { name: 'separate-pool-borders', run: separatePoolBorders },
  { name: 'merge-batchnorms', run: mergeBatchnorms },
  { name: 'fold-batchnorm', run: foldBatchnorm },
  { name: 'fold-scale-forward', run: foldScaleForward },
  { name: 'copy-flattened-maps', run: copyFlattenedMaps },
  { name: 'fuse-activation', run: fuseActivation },
];

export interface CompileOptions {
  readonly config: ArrayConfig;
  readonly calibration: Calibration;
  /** Samples per inference (default 1; passes/batch.ts). */
  readonly batch?: number;
  /** Run checkGraph after every graph pass (tests); checkProgram always runs at the end. */
  readonly verify?: boolean;
  /**
   * Store a narrow network input as its first convolution's windows (window-input.ts): 'auto'
   * (default) when the cost model says it is faster on this machine, 'always' wherever it applies
   * (tests of the layout), 'never'.
   */
  readonly inputWindows?: InputWindowsChoice;
  /** Compiler memory a batch's lowering may take (--max-memory; default ir/limits.ts DEFAULT_LIMITS.maxMemory). */
  readonly maxMemory?: number;
  /** Instructions a lowering may have, predicted before emitting (--max-instructions; lower-budget.ts; default DEFAULT_LIMITS.maxInstructions). */
  readonly maxInstructions?: number;
  /**
   * The caller validates the program (isa/validate.ts validateProgram, which runs checkProgram
   * among its checks: cli/load-program.ts), so compile() leaves its own final checkProgram out —
   * the same walk twice was 50–60 ms of `nnchip lower` on a 2x2 array's half million instructions.
   */
  readonly callerValidates?: boolean;
  /** Told when each long step starts (`nnchip lower` shows them: a full-size network calibrates and lowers for tens of seconds). */
  readonly onStep?: (step: string) => void;
  /**
   * Fold each residual add into the convolution before it where the scales allow (default true:
   * passes/weighted-op.ts foldedAdd, docs/numerics.md); false keeps every add an op of its own.
   */
  readonly foldAdds?: boolean;
}

export function prepareGraph(g: Graph, verify = false): Graph {
  return GRAPH_PASSES.reduce((acc, p) => {
    const next = p.run(acc);
    if (verify) checkGraph(next);
    return next;
  }, g);
}

export interface Compiled {
  readonly graph: Graph;
  readonly gemm: GemmProgram;
  readonly program: Program;
  /** Tensors the calibration collapsed to one code (the CLI warns; see quantize.ts). */
  readonly collapsed: readonly CollapsedTensor[];
}

/** The machine-independent half: graph passes, calibration and quantization, GemmOps. */
export interface Quantized {
  readonly graph: Graph;
  readonly gemm: GemmProgram;
  readonly collapsed: readonly CollapsedTensor[];
  /** The GemmOps without max pools folded into thresholds, for a machine whose buffers cannot hold a pooled tile. */
  readonly unfused: () => GemmProgram;
  /** The GemmOps with every residual add an op of its own and no pool folded, for a machine whose buffers cannot hold a folded add's two sources. */
  readonly plain: () => GemmProgram;
  /** The same GemmOps at another batch (lower-budget.ts: the largest batch a limit allows). */
  readonly batched: (batch: number) => GemmProgram;
}

/**
 * The graph's products of two computed tensors as quarter squares (ir/product.ts), each balanced by
 * its operands' calibrated ranges (one more float evaluation of the samples, only when there are
 * products); without a calibration, k = 1: the same ops and shapes, for the checks before calibrating.
 */
function expandProductsOf(graph: Graph, calibration?: Calibration): Graph {
  if (!hasProducts(graph)) return graph;
  // a per-pixel layer norm's gate capped where it multiplies nothing (norm-clamp.ts): one more evaluation when there is one
  const g = calibration === undefined ? graph : clampPixelGates(graph, calibration);
  const shapes = checkGraph(g);
  const ranges = calibration === undefined ? undefined : rangesOf(g, calibration, productOperands(g));
  return expandProducts(g, (t) => shapes.get(t)!.at(-1)!, ranges);
}

export function quantizeGraph(graph: Graph, calibration: Calibration, verify = false, batch = 1, fitsOn?: ArrayConfig, budget: Budget = DEFAULT_LIMITS, onStep?: (step: string) => void, foldAdds = true): Quantized {
  // the outputs keep the names the model gives them, whatever the passes rename their tensors to (an activation fused)
  const prepared = { ...prepareGraph(graph, verify), outputNames: graph.outputNames ?? graph.outputs };
  // each kernel quantized once for the three GemmOps builds (its codes depend on the weights alone)
  const codes: KernelCodes = new WeakMap();
  const x = prepared.inputs[0];
  if (batch > 1 && x?.layout === 'chw' && x.shape.length === 3) throw new NnchipError('NN306', `a batch of ${batch} takes feature maps pixel-major (HWC), but this model's input ${onnxShape(x.shape)} is channel-major (ONNX)`);
  // one check of what a program holds (isa/validate.ts), before any work: a graph of 10,000 outputs is no program
  if (prepared.outputs.length > MAX_OUTPUTS) {
    throw new NnchipError('NN110', `the model has ${prepared.outputs.length} outputs (${listNames(prepared.outputNames)}); a program holds at most ${MAX_OUTPUTS}`, { hint: 'name the outputs to compile with --output-name <name>,<name>,…' });
  }
  if (batch > 1 && prepared.outputs.length > 1) throw new NnchipError('NN306', `a batch of ${batch} needs a model of one output; this one has ${prepared.outputs.length} (${prepared.outputNames.join(', ')})`, { hint: 'compile one output with --output-name, or run the samples one at a time (--batch 1)' });
  // before any GemmOp, on every path (explore's too, which gives no machine here): a huge max-pool window,
  // a layer whose made-up matrices pass --max-memory, would allocate them first
  const early = expandProductsOf(prepared);
  checkPoolBudget(early, fitsOn, budget.maxInstructions);
  checkMadeUpWeights(early, budget.maxMemory);
  if (fitsOn !== undefined) {
    onStep?.(`checking it fits the ${fitsOn.rows}x${fitsOn.cols} array`);
    checkBuffersEarly(early, batch, fitsOn, codes, budget);
  }
  onStep?.(`calibrating on ${calibrationCount(calibration)} samples`);
  const g = expandProductsOf(prepared, calibration);
  if (verify) checkGraph(g);
  const { params, collapsed } = calibrate(g, calibration);
  const ops = toGemmOps(g, params, batch > 1 ? 'disjoint' : true, codes, foldAdds);
  return { graph: g, gemm: batchGemm(ops, batch), collapsed, unfused: () => batchGemm(toGemmOps(g, params, false, codes, foldAdds), batch), plain: () => batchGemm(toGemmOps(g, params, false, codes, false), batch), batched: (b) => batchGemm(ops, b) };
}

/**
 * NN403/NN406 for one sample on `config` from the shapes alone, before any calibration or lowering: a
 * caller about to compile several graphs (a topology's layers) refuses the run before the first.
 */
export function checkFitsEarly(graph: Graph, config: ArrayConfig, budget: Budget = DEFAULT_LIMITS): void {
  const g = expandProductsOf(prepareGraph(graph, false));
  checkPoolBudget(g, config, budget.maxInstructions);
  checkMadeUpWeights(g, budget.maxMemory);
  checkBuffersEarly(g, 1, config, new WeakMap(), budget);
}

/** A channel-major feature map's shape as the ONNX file gives it ([1,C,H,W]), for messages. */
const onnxShape = (shape: readonly number[]): string => `[1,${modelDims(shape, 'chw').join(',')}]`;

export function compile(graph: Graph, opts: CompileOptions): Compiled {
  const budget = { maxMemory: opts.maxMemory ?? DEFAULT_LIMITS.maxMemory, maxInstructions: opts.maxInstructions ?? DEFAULT_LIMITS.maxInstructions };
  return epsilonNamed(graph, () => {
    const q = quantizeGraph(graph, opts.calibration, opts.verify ?? false, opts.batch ?? 1, opts.config, budget, opts.onStep, opts.foldAdds ?? true);
    opts.onStep?.(`lowering to the ${opts.config.rows}x${opts.config.cols} array`);
    return lowerForMachine(q, opts.config, opts.inputWindows ?? 'auto', budget, opts.callerValidates !== true);
  });
}

/**
 * The largest ε of a normalization's 1/√(variance + ε) (an rsqrt table) that `layer` computes or reads from, however
 * far upstream: a table takes any output scale (weighted-op.ts rescale), so an ε past any real one first fails where
 * its values are used (the product that scales by them, the affine after it).
 */
function rsqrtEpsilon(g: Graph, layer: string | undefined): number | undefined {
  const producer = new Map(g.nodes.map((n) => [n.output, n]));
  const seen = new Set<string>();
  let eps: number | undefined;
  for (const todo = g.nodes.filter((m) => m.name === layer).map((m) => m.output); todo.length > 0; ) {
    const n = producer.get(todo.pop()!);
    if (n === undefined || seen.has(n.output)) continue;
    seen.add(n.output);
    const fn = n.op === 'activation' ? n.fn : 'activation' in n ? n.activation : undefined;
    if (typeof fn === 'object' && 'fn' in fn && fn.fn === 'rsqrt') eps = Math.max(eps ?? 0, fn.alpha ?? 0);
    todo.push(...n.inputs);
  }
  return eps;
}

/**
 * NN304 at a normalization's 1/√(variance + ε) whose ε is far past any real one (a real ε is ≪ 1: 1e-5,
 * 1e-3): its values, at most 1/√ε, are too small for an int8 scale whatever the inputs, and the hint
 * said to change --input-range or the calibration data, which cannot help. It names ε instead.
 */
/** NN304s that no input range or calibration data causes or cures (load-program.ts adds no --input-range note to them). */
export const MODEL_FAULTS = new WeakSet<NnchipError>();

function epsilonNamed<T>(g: Graph, run: () => T): T {
  try {
    return run();
  } catch (e) {
    const eps = e instanceof NnchipError && e.code === 'NN304' ? rsqrtEpsilon(g, e.layer) : undefined;
    if (eps === undefined || !(eps > 1)) throw e;
    const err = e as NnchipError;
    const shown = Number(eps.toPrecision(3)); // ε is a float32: 1e30, not 1.0000000150474662e+30
    const fault = new NnchipError('NN304', `${err.detail}: the normalization's epsilon is ${shown}, so 1/√(variance + ε) is at most ${(1 / Math.sqrt(eps)).toPrecision(2)}`, {
      ...(err.file === undefined ? {} : { file: err.file }),
      ...(err.layer === undefined ? {} : { layer: err.layer }),
      hint: `an epsilon of ${shown} swamps every variance, so the layer outputs its offset alone; re-export the model with its real epsilon (Keras 1e-3, PyTorch 1e-5)`,
    });
    MODEL_FAULTS.add(fault);
    throw fault;
  }
}

/**
 * NN403 before calibration (which evaluates the float model on every sample: minutes for a large
 * network): the tiling depends only on shapes, so GemmOps built with placeholder quantization tell
 * whether every layer fits the buffers. Table activations become ReLU here (their step tables need
 * the real scales; the lowering checks the acc entries they take), so this refuses only what the
 * lowering would; any other problem is left for the real passes to report.
 */
function checkBuffersEarly(g: Graph, batch: number, config: ArrayConfig, codes: KernelCodes, budget: Budget): void {
  const unit: QuantParams = { scale: 1, zp: 0 };
  const params = new Map<string, QuantParams>([...g.inputs.map((t) => t.name), ...g.nodes.map((n) => n.output)].map((name) => [name, unit]));
  const plain = (n: Node): Node => ('activation' in n && isTable(n.activation) ? { ...n, activation: 'relu' } : n.op === 'activation' && isTable(n.fn) ? { ...n, fn: 'relu' } : n) as Node;
  const plainGraph: Graph = { ...g, nodes: g.nodes.map(plain) };
  let unfused: GemmProgram | undefined;
  try {
    // unfused max pools and plain adds: the lowering falls back to them when a pooled tile or a folded add does not fit
    unfused = batchGemm(toGemmOps(plainGraph, params, false, codes, false), batch);
    checkBuffers(unfused, config);
  } catch (e) {
    if (e instanceof NnchipError && e.code === 'NN403') throw e;
  }
  // the instructions from the same shapes (fused, as the lowering tries first: its floor is the lower),
  // before calibration and lowering spend minutes and gigabytes on them
  let fused;
  try {
    fused = toGemmOps(plainGraph, params, batch > 1 ? 'disjoint' : true, codes);
    if (batch > 1) batchGemm(fused, batch);
  } catch {
    return; // the real passes report it
  }
  checkBudget((b) => batchGemm(fused, b), batch, config, budget, unfused === undefined ? undefined : () => unfused);
}

/** What a lowering may take: instructions (--max-instructions) and, for a batch, compiler memory (--max-memory). */
type Budget = Pick<Limits, 'maxMemory' | 'maxInstructions'>;

/** lower-budget.ts's checks: NN406 for one sample, NN308 (naming the largest batch that fits) for a batch. */
function checkBudget(batched: (b: number) => GemmProgram, batch: number, config: ArrayConfig, budget: Budget, unfused?: () => GemmProgram): void {
  if (batch > 1) checkBatchBudget(batched, batch, config, budget.maxMemory, budget.maxInstructions);
  else checkInstructionBudget(batched(1), config, budget.maxInstructions, unfused);
}

/** The machine-dependent half: tiling and placement for one ArrayConfig, scheduling, the Program. */
/** `finalCheck` false: the caller validates the program (CompileOptions.callerValidates). */
export function lowerForMachine(q: Quantized, config: ArrayConfig, inputWindows: InputWindowsChoice = 'auto', budget: Budget = DEFAULT_LIMITS, finalCheck = true): Compiled {
  const { graph: g, collapsed } = q;
  // this machine's tiles (a sweep lowers one quantization for many machines)
  checkBudget(q.batched, q.gemm.batch ?? 1, config, budget, q.unfused);
  const { gemm, lowered } = lowerFitting(q, config, inputWindows);
  const batch = gemm.batch ?? 1;
  const scheduled = lowered.scheduled;
  // each layer's first and last instruction (a loop and two arrays: a 2×2 array's program is half a million instructions)
  const first: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < scheduled.instructions.length; i++) {
    if (scheduled.instructions[i]!.op === 'halt') continue;
    const layer = scheduled.layers[i]!;
    if (first[layer] === undefined) first[layer] = i;
    last[layer] = i;
  }
  const layers: LayerInfo[] = lowered.layers.map((l, li) => ({ ...l, firstInsn: first[li] ?? 0, insnCount: (last[li] ?? -1) - (first[li] ?? 0) + 1 }));
  const layout = g.inputs[0]?.layout;
  // the importer says how the model lays out each output (ONNX: channel-major unless transposed); else as the input
  const outputs = lowered.outputs.map((t, i) => {
    const chw = outputLayoutOf(g, i) === 'chw' && t.shape.length === 3;
    if (batch > 1 && chw) throw new NnchipError('NN306', `a batch of ${batch} gives feature maps pixel-major (HWC), but this model's output ${onnxShape(t.shape)} is channel-major (ONNX)`);
    // of several, each named as the model names it (a TF graph's Identity, not the tensor it passes on); one keeps its
    // tensor's name, as programs always had it (`dense_2/logits`: a final softmax dropped)
    const named = lowered.outputs.length > 1 ? { ...t, name: g.outputNames?.[i] ?? t.name } : t;
    // a feature-map output of a channel-major model is given back channel-major too (isa/layout.ts)
    return batch === 1 ? { ...named, ...(chw ? { layout: 'chw' as const } : {}) } : { ...named, shape: batched(batch, t.shape) };
  });
  const program: Program = {
    config,
    instructions: scheduled.instructions,
    dramSize: lowered.dramSize,
    constants: lowered.constants,
    input: { ...lowered.input, shape: batched(batch, g.inputs[0]!.shape), ...(layout === undefined ? {} : { layout }) },
    outputs,
    layers,
    insnLayer: scheduled.layers,
    memoryMap: lowered.memoryMap,
    notes: g.notes,
    ...(batch === 1 ? {} : { batch }),
  };
  checkFields(program);
  const problem = finalCheck ? checkProgram(program) : null;
  if (problem !== null) throw internal(`the compiler produced an invalid program: ${problem}`);
  return { graph: g, gemm, program, collapsed };
}

/**
 * Every instruction field within its width: a layer's geometry (a stride or map width of tens of
 * thousands) can ask for an address step no field holds; that is the model's limit (NN403, naming
 * the layer), not a crash when the program is encoded. The instructions are final here: they are
 * frozen and encoded once, the encoding being the check (the certificate's hash and the .nnp file
 * read the same words: encode.ts wordsOf).
 */
function checkFields(p: Program): void {
  freezeList(p.instructions);
  const words = encodeOrOverflow(p.instructions);
  if (typeof words !== 'number') {
    rememberEncoded(p.instructions, words);
    return;
  }
  const layer = p.layers[p.insnLayer[words] ?? -1];
  throw new NnchipError('NN403', `its strides, window or map width need ${fieldOverflow(p.instructions[words]!)!.replace('does not fit', 'where the instruction field holds')}`, layer === undefined ? {} : { layer: layer.name });
}

/**
 * Lower the GemmOps; where they do not fit the buffers (NN403), the forms that need less: without
 * fused max pools (a pooled tile holds whole windows of lines), then also without folded residual
 * adds (a folded op keeps its shortcut's lines beside its convolution's windows). When none fits,
 * the error is the last form's: what the least demanding form needs.
 */
function lowerFitting(q: Quantized, config: ArrayConfig, inputWindows: InputWindowsChoice): { gemm: GemmProgram; lowered: LoweredProgram } {
  const pools = q.gemm.ops.some((op) => op.pool !== undefined);
  const folds = q.gemm.ops.some((op) => op.foldedAdd !== undefined);
  const forms = [() => q.gemm, ...(pools ? [q.unfused] : []), ...(folds ? [q.plain] : [])];
  let last: unknown;
  for (const form of forms) {
    const gemm = form();
    try {
      return { gemm, lowered: lowerToIsa(gemm, config, inputWindows) };
    } catch (e) {
      if (!(e instanceof NnchipError && e.code === 'NN403')) throw e;
      last = e;
    }
  }
  throw last;
}

/** A tensor shape with the batch in front (B = 1 keeps the model's own shape). */
function batched(batch: number, shape: readonly number[]): readonly number[] {
  return batch === 1 ? shape : [batch, ...shape];
}
