// SPDX-License-Identifier: MIT
/**
 * Keras squeeze-excite as TF.js Layers saves it: GlobalAveragePooling2D → Reshape((1, 1, C)) →
 * Dense (relu) → Dense (sigmoid / hard_sigmoid) → Multiply([x, gate]) (either order), and the
 * keepdims-free form Multiply([x, Dense(gate vector)]) that tfjs broadcasts. Models written by tfjs
 * itself: the imported graph computes what TF.js computes, and the int8 program (the product is
 * a diagonal matmul whose weights are the spread gate) runs the same on the reference interpreter,
 * the simulator and WASM, close to float. (Two maps multiplied: tfjs-map-product.test.ts.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { emitWasm } from '../../../src/backends/wasm/emit.js';
import { instantiate } from '../../../src/backends/wasm/instance.js';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';

const L = tfjs.layers;
const init = (seed: number) => ({ kernelInitializer: tfjs.initializers.glorotUniform({ seed }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed + 1 }) });

/** [8, 8, 3]: Conv2D (relu) = x; squeeze: GAP, Reshape((1, 1, 12)), Dense relu, Dense gate; Multiply; GAP, Dense. */
function seNet(gate: 'sigmoid' | 'hardSigmoid', gateFirst: boolean, reshape: boolean): tf.LayersModel {
  const input = tfjs.input({ shape: [8, 8, 3] });
  const x = L.conv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu', ...init(1) }).apply(input) as tf.SymbolicTensor;
  let s = L.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  if (reshape) s = L.reshape({ targetShape: [1, 1, 12] }).apply(s) as tf.SymbolicTensor;
  s = L.dense({ units: 4, activation: 'relu', ...init(3) }).apply(s) as tf.SymbolicTensor;
  s = L.dense({ units: 12, activation: gate, ...init(5) }).apply(s) as tf.SymbolicTensor;
  const y = L.multiply().apply(gateFirst ? [s, x] : [x, s]) as tf.SymbolicTensor;
  const z = L.dense({ units: 5, ...init(7) }).apply(L.globalAveragePooling2d({}).apply(y)) as tf.SymbolicTensor;
  return tfjs.model({ inputs: input, outputs: z });
}

describe('TF.js Layers Multiply of a map and a per-channel gate (squeeze-excite)', () => {
  test.each([
    ['Reshape((1, 1, C)), sigmoid gate, Multiply([x, gate])', 'sigmoid', false, true],
    ['Reshape((1, 1, C)), hard_sigmoid gate, Multiply([gate, x])', 'hardSigmoid', true, true],
    ['a [C] gate (tfjs broadcasts it), sigmoid', 'sigmoid', false, false],
  ] as const)('%s: float = TF.js; int8: ref = sim = WASM, close to float', async (_, gate, gateFirst, reshape) => {
    const model = seNet(gate, gateFirst, reshape);
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-se-'));
    await saveTfjsModel(model, dir);
    const graph = loadModel(join(dir, 'model.json'));
    expect(graph.nodes.filter((n) => n.op === 'channelMul')).toHaveLength(1);
    const inputs = randomSamples(16, 8 * 8 * 3, 5, -1, 2);
    const want = tfjsPredict(model, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    const wasm = await instantiate(emitWasm(program));
    const out = program.outputs[0]!;
    const range = Math.max(...want.flat()) - Math.min(...want.flat());
    for (const [i, x] of inputs.slice(0, 8).entries()) {
      const codes = quantizeInput(program, x);
      const ref = interpret(program, codes);
      expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
      expect(Array.from(wasm.runRaw(codes))).toEqual(Array.from(ref));
      Array.from(ref).forEach((q, j) => expect(Math.abs(out.scale * (q - out.zp) - want[i]![j]!)).toBeLessThan(0.05 * range));
    }
  });
});
