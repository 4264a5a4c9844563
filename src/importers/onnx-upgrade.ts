// SPDX-License-Identifier: MIT
/**
 * Opsets 9 and 10 (torch.onnx.export's default before torch 1.12) read as opset 11: the three ops
 * nnchip converts whose inputs changed are rewritten to their opset-11 form before conversion.
 * Every other converted op of opsets 9–10 is the opset-11 op with fewer options (negative axes,
 * optional inputs and ceil_mode came later); Clip's and Pad's attributes are read where they are.
 * - Slice-1 (opset 9): starts, ends, axes attributes → int64 inputs.
 * - Upsample-9 and Resize-10: inputs (X, scales) → Resize (X, roi '', scales) with the rule both
 *   define, asymmetric coordinates (x_in = x_out / scale) and, for nearest, floor. (PyTorch warns
 *   that its bilinear does not match this below opset 11; ONNX Runtime computes the rule as written.)
 */
import type OnnxProto from 'onnx-proto';
import { onnxSchema, type TensorProto } from './onnx-tensors.js';

type GraphProto = NonNullable<OnnxProto.onnx.IModelProto['graph']>;
type NodeProto = NonNullable<GraphProto['node']>[number];
type AttributeProto = NonNullable<NodeProto['attribute']>[number];

const text = (name: string, value: string): AttributeProto => ({ name, type: onnxSchema().AttributeProto.AttributeType.STRING, s: Buffer.from(value, 'utf8') });

/** The nodes of an opset-9/10 graph in their opset-11 form; new constants go into `consts`. */
export function upgradeNodes(nodes: readonly NodeProto[], opset: number, consts: Map<string, TensorProto>): NodeProto[] {
  if (opset >= 11) return [...nodes];
  return nodes.map((n, k) => {
    const attrs = n.attribute ?? [];
    if (n.opType === 'Slice' && opset < 10) {
      const names = ['starts', 'ends', 'axes'].filter((a) => attrs.some((x) => x.name === a));
      const inputs = names.map((a) => {
        const values = attrs.find((x) => x.name === a)!.ints ?? [];
        const name = `${n.name ?? `Slice${k}`}:${a}`;
        consts.set(name, { name, dataType: onnxSchema().TensorProto.DataType.INT64, dims: [values.length], int64Data: values });
        return name;
      });
      return { ...n, input: [n.input?.[0] ?? '', ...inputs], attribute: attrs.filter((x) => !names.includes(x.name ?? '')) };
    }
    if (n.opType === 'Upsample' || n.opType === 'Resize') {
      const mode = attrs.filter((x) => x.name === 'mode');
      return { ...n, opType: 'Resize', input: [n.input?.[0] ?? '', '', n.input?.[1] ?? ''], attribute: [...mode, text('coordinate_transformation_mode', 'asymmetric'), text('nearest_mode', 'floor')] };
    }
    return n;
  });
}
