/**
 * Typical small PyTorch models as torch.onnx.export writes them at every opset 11–17, some also at 9–10 (dynamic batch
 * axis; test/fixtures/pytorch-zoo/export.py, torch 1.13) and a few converted down to 7–8 by onnx's version converter, through the CLI as a user runs them: each
 * one either lowers (`nnchip lower`), and its program (`run --backend ref`, `run --backend sim`)
 * agrees with onnxruntime-node — the float model exactly, int8 within a tenth of the output spread
 * and the same top-1 on most inputs — or is refused with one NN110 line naming the node, its op and
 * what to do.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, test } from 'vitest';
import { captureIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { loadModel } from '../../src/importers/index.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { checkGraph } from '../../src/ir/verify.js';
import { expectClose } from '../helpers/close.js';
import { argmax } from '../helpers/compile.js';
import { ortRun } from '../helpers/onnx-models.js';
import { randomSamples } from '../helpers/random-graph.js';

const { onnx } = onnxProto;

const DIR = join(import.meta.dirname, '../fixtures/pytorch-zoo');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).sort();
const work = mkdtempSync(join(tmpdir(), 'nnchip-zoo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SHAPES: Record<string, number[]> = {
  lenet: [1, 1, 28, 28],
  resnet: [1, 3, 16, 16],
  mobile: [1, 3, 16, 16],
  unet: [1, 2, 16, 16],
  mlp: [1, 1, 8, 8],
  kws: [1, 8, 32],
  vgg: [1, 3, 16, 16],
  se: [1, 4, 8, 8],
  silu: [1, 4, 8, 8],
  gelu: [1, 4, 8, 8],
  mish: [1, 4, 8, 8],
  deconv: [1, 4, 8, 8],
  bilinear: [1, 2, 8, 8],
  fpad: [1, 3, 8, 8],
  shuffle: [1, 3, 8, 8],
  tokens: [1, 6, 5],
  nhwc: [1, 3, 8, 8],
  signal: [1, 16],
  merge: [1, 3, 8, 8],
  lnorm: [1, 5, 6],
  espcn: [1, 1, 8, 8],
  seg: [1, 3, 8, 8],
  nofold: [1, 3, 8, 8],
  gen: [1, 6],
  densenet: [1, 3, 8, 8],
  catflat: [1, 3, 8, 8],
  inception: [1, 3, 8, 8],
  squeeze: [1, 3, 16, 16],
  m5: [1, 1, 256],
  nas: [1, 3, 8, 8],
  focus: [1, 3, 8, 8],
  ucrop: [1, 1, 16, 16],
  chpool: [1, 3, 8, 8],
  mnv3: [1, 3, 16, 16],
  gpool: [1, 3, 7, 5],
  pixlin: [1, 3, 7, 5],
  flatact: [1, 3, 17, 17],
  rpad: [1, 3, 7, 5],
  patch: [1, 3, 8, 6],
  inorm: [1, 3, 8, 6],
  gnorm: [1, 3, 8, 6],
  style: [1, 3, 12, 12],
  unshuffle: [1, 2, 8, 8],
  aspp: [1, 3, 12, 12],
  tcn: [1, 2, 24],
  lines: [1, 3, 6, 5],
  cath: [1, 3, 8, 8],
  crnn: [1, 1, 8, 12],
  unetm: [1, 1, 10, 10],
  fpn: [1, 3, 15, 15],
  glu: [1, 4, 8, 8],
  cbam: [1, 3, 8, 8],
  wavenet: [1, 4, 32],
  l2norm: [1, 3, 8, 8],
  cosface: [1, 1, 12, 12],
  cbampool: [1, 3, 8, 8],
  seeca: [1, 3, 8, 8],
  coordatt: [1, 3, 8, 6],
  stdnorm: [1, 3, 6, 6],
  gem: [1, 3, 8, 8],
  chanpick: [1, 3, 8, 8],
  featpick: [1, 12],
};
/** Models (or one model at one opset) refused on purpose: the one line they get. */
const REFUSED: Record<string, RegExp> = {
  // Linear over the last axis of x.flatten(2): each channel's pixels contracted, which needs a transpose
  pixlin: /^error NN110: pixlin-op\d\d\.onnx: layer "\/fc\/MatMul": MatMul: input "\/Reshape_output_0" is a map of \[7,5\] pixels viewed as \[1,4,35\] \(x\.view\(N, C, -1\)\); reading its pixels along the last axis needs a transpose: only a reshape, element-wise ops or a mean\/sum\/amax over the last axis are supported — replace the layer with a supported one, or open an issue\n$/,
  // (LayerNorm over the features of each row lowers at every opset: below 17 torch's ReduceMean, Sub, Pow, Sqrt, Div decomposition)
};

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

const softmax = (v: number[]): number[] => {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

/** Softmax over the c channels of each pixel of a channel-major [C, H, W] map. */
const perPixelSoftmax = (v: number[], c: number): number[] => {
  const pixels = v.length / c;
  const out = [...v];
  for (let p = 0; p < pixels; p++) softmax(Array.from({ length: c }, (_, k) => v[k * pixels + p]!)).forEach((s, k) => (out[k * pixels + p] = s));
  return out;
};

describe('PyTorch models at opsets 7–17', () => {
  test('every model of export.py is here at every opset', () => {
    // opsets 11–17, 9–10 for export.py's OLD_MODELS, 7–8 for its OLDEST_MODELS (converted down by onnx's version converter)
    expect(FILES).toHaveLength(Object.keys(SHAPES).length * 7 + 12 * 2 + 5 * 2);
  });

  test.each(FILES)('%s', async (file) => {
    const model = file.replace(/-op\d+\.onnx$/, '');
    const dims = SHAPES[model]!;
    const path = join(DIR, file);
    const size = dims.reduce((a, b) => a * b, 1);
    const stem = join(work, file.replace('.onnx', ''));
    writeFileSync(`${stem}-cal.json`, JSON.stringify({ inputs: randomSamples(20, size, 5, 0, 1).map((x) => Array.from(x)) }));
    const lowered = await cli(['lower', path, '-o', `${stem}.nnchip`, '--calibration', `${stem}-cal.json`]);
    const refused = REFUSED[file.replace('.onnx', '')] ?? REFUSED[model];
    if (refused !== undefined) {
      expect(lowered.code).toBe(3);
      expect(lowered.err).toMatch(refused);
      return;
    }
    expect(lowered.code, lowered.err).toBe(0);

    const samples = randomSamples(30, size, 11, 0, 1);
    const want = await ortRun(path, dims, samples);
    // the float graph: the IR's [H, W, C] map output read back in ONNX's [C, H, W]
    const graph = loadModel(path);
    const outShape = checkGraph(graph).get(graph.outputs[0]!)!;
    const pixels = outShape.length === 3 && graph.outputLayouts?.[0] === 'chw' ? outShape[0]! * outShape[1]! : 1;
    samples.forEach((x, i) => {
      const hwc = evaluateOutput(graph, x);
      const chw = Float64Array.from(hwc, (_, j) => hwc[(j % pixels) * (hwc.length / pixels) + Math.floor(j / pixels)]!);
      expectClose(chw, want[i]!);
    });

    writeFileSync(`${stem}-in.json`, JSON.stringify(samples.map((x) => Array.from(x))));
    const outputs: Record<string, number[][]> = {};
    for (const backend of ['ref', 'sim']) {
      const r = await cli(['run', `${stem}.nnchip`, '--input', `${stem}-in.json`, '--backend', backend, '--json']);
      expect(r.code, r.err).toBe(0);
      outputs[backend] = (JSON.parse(r.out) as { outputs: number[][] }).outputs.map((v) => v.flat(3) as number[]);
    }
    expect(outputs['sim']).toEqual(outputs['ref']);
    const all = want.flatMap((v) => Array.from(v));
    const spread = Math.max(...all) - Math.min(...all);
    let agree = 0;
    let worst = 0;
    outputs['ref']!.forEach((logits, i) => {
      // a final Softmax is dropped with a note: the program's outputs are its logits
      const got = model === 'mlp' ? softmax(logits) : model === 'seg' ? perPixelSoftmax(logits, 4) : model === 'm5' ? softmax(logits).map(Math.log) : logits;
      expect(got).toHaveLength(want[i]!.length);
      if (argmax(got) === argmax(want[i]!)) agree++;
      got.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - want[i]![j]!))));
    });
    // a map out (unet, deconv, bilinear, espcn, seg, gen, ucrop, rpad, style, unshuffle, aspp, unetm, fpn) has no class; everything else picks onnxruntime's top-1 on most inputs
    if (!['unet', 'deconv', 'bilinear', 'espcn', 'seg', 'gen', 'ucrop', 'rpad', 'style', 'unshuffle', 'aspp', 'unetm', 'fpn'].includes(model)) expect(agree).toBeGreaterThanOrEqual(25);
    expect(worst / spread).toBeLessThan(0.1);
  });

  test('weights as external data (as onnx.save_model(..., save_as_external_data=True) writes them: one file, every initializer) and initializers listed as graph inputs (keep_initializers_as_inputs=True): the same program, byte for byte', async () => {
    const src = join(DIR, 'densenet-op17.onnx');
    const lower = async (path: string, out: string): Promise<Buffer> => {
      const r = await cli(['lower', path, '-o', out, '--input-range', '0,1']);
      expect(r.code, r.err).toBe(0);
      return readFileSync(join(out, 'program.nnp'));
    };
    const m = onnx.ModelProto.decode(readFileSync(src));
    const keep = onnx.ModelProto.decode(readFileSync(src));
    keep.graph!.input!.push(...keep.graph!.initializer!.map((t) => ({ name: t.name!, type: { tensorType: { elemType: t.dataType!, shape: { dim: t.dims!.map((d) => ({ dimValue: d })) } } } })));
    let offset = 0;
    const chunks = m.graph!.initializer!.map((t) => {
      const raw = Buffer.from(t.rawData!);
      Object.assign(t, { dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, rawData: new Uint8Array(0), externalData: [{ key: 'location', value: 'model.onnx.data' }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(raw.length) }] });
      offset += raw.length;
      return raw;
    });
    expect(chunks.length).toBeGreaterThan(10);
    writeFileSync(join(work, 'model.onnx.data'), Buffer.concat(chunks));
    writeFileSync(join(work, 'model.onnx'), onnx.ModelProto.encode(m).finish());
    writeFileSync(join(work, 'keep.onnx'), onnx.ModelProto.encode(keep).finish());
    const want = await lower(src, join(work, 'inline.nnchip'));
    expect(await lower(join(work, 'model.onnx'), join(work, 'external.nnchip'))).toEqual(want);
    expect(await lower(join(work, 'keep.onnx'), join(work, 'keep.nnchip'))).toEqual(want);
  });
});
