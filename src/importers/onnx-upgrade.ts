// SPDX-License-Identifier: MIT
/**
 * Opsets 7 to 10 (the ONNX model zoo's classic "-7" and "-8" models; torch.onnx.export's default before
 * torch 1.12 was 9) read as opset 11: the ops nnchip converts whose inputs changed are rewritten to their
 * opset-11 form before conversion. Every other converted op of opsets 7–10 is the opset-11 op with fewer
 * options or types (negative axes, optional inputs and ceil_mode came later; Max, Min, Sum and Mean of
 * opset 7 do not broadcast, which nnchip does not ask of them); Clip's and Pad's attributes are read where
 * they are, and BatchNormalization's `spatial` (opsets 7–8) where it is converted.
 * - Slice-1 (opsets 7–9): starts, ends, axes attributes → int64 inputs.
 * - Upsample-7 (opsets 7–8): its `scales` attribute → a float input, then as Upsample-9.
 * - Upsample-9 and Resize-10: inputs (X, scales) → Resize (X, roi '', scales) with the rule both
 *   define, asymmetric coordinates (x_in = x_out / scale) and, for nearest, floor. (PyTorch warns
 *   that its bilinear does not match this below opset 11; ONNX Runtime computes the rule as written.)
 * Opsets below 7 broadcast by `broadcast` and `axis` attributes and hold Reshape's shape in one: not read.
 */
import type OnnxProto from 'onnx-proto';
import { onnxSchema, type TensorProto } from './onnx-tensors.js';

type GraphProto = NonNullable<OnnxProto.onnx.IModelProto['graph']>;
type NodeProto = NonNullable<GraphProto['node']>[number];
type AttributeProto = NonNullable<NodeProto['attribute']>[number];

const text = (name: string, value: string): AttributeProto => ({ name, type: onnxSchema().AttributeProto.AttributeType.STRING, s: Buffer.from(value, 'utf8') });

/** The nodes of an opset-7 to 10 graph in their opset-11 form; new constants go into `consts`. */
export function upgradeNodes(nodes: readonly NodeProto[], opset: number, consts: Map<string, TensorProto>): NodeProto[] {
  if (opset >= 11) return [...nodes];
  // each new constant its own name: torch 0.3 left nodes unnamed, and two Slices of "" read the last one's ":starts"
  const fresh = (n: NodeProto, k: number, what: string): string => {
    const name = `${n.name || `${n.opType ?? ''}${k}`}:${what}`;
    return consts.has(name) ? `${name}#${k}` : name;
  };
  return nodes.map((n, k) => {
    const attrs = n.attribute ?? [];
    if (n.opType === 'Slice' && opset < 10) {
      const names = ['starts', 'ends', 'axes'].filter((a) => attrs.some((x) => x.name === a));
      const inputs = names.map((a) => {
        const values = attrs.find((x) => x.name === a)!.ints ?? [];
        const name = fresh(n, k, a);
        consts.set(name, { name, dataType: onnxSchema().TensorProto.DataType.INT64, dims: [values.length], int64Data: values });
        return name;
      });
      return { ...n, input: [n.input?.[0] ?? '', ...inputs], attribute: attrs.filter((x) => !names.includes(x.name ?? '')) };
    }
    if (n.opType === 'Upsample' || n.opType === 'Resize') {
      const mode = attrs.filter((x) => x.name === 'mode');
      const scales = attrs.find((x) => x.name === 'scales');
      let input = n.input?.[1] ?? '';
      if (n.opType === 'Upsample' && opset < 9 && scales !== undefined) {
        input = fresh(n, k, 'scales');
        const values = scales.floats ?? [];
        consts.set(input, { name: input, dataType: onnxSchema().TensorProto.DataType.FLOAT, dims: [values.length], floatData: values });
      }
      return { ...n, opType: 'Resize', input: [n.input?.[0] ?? '', '', input], attribute: [...mode, text('coordinate_transformation_mode', 'asymmetric'), text('nearest_mode', 'floor')] };
    }
    return n;
  });
}
