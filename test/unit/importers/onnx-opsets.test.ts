/**
 * Opsets after 18: every op nnchip converts that opset 19 or 20 changed has a review note (how its
 * converter treats the change), and an op changed without one is refused at the newer opset.
 */
import { describe, expect, test } from 'vitest';
import { ONNX_CHANGES_REVIEWED, ONNX_OPSET_CHANGES, ONNX_OPSETS, unreviewedOpsetChange } from '../../../src/importers/onnx-opsets.js';
import { SUPPORTED_ONNX_OPS } from '../../../src/importers/onnx.js';

describe('ONNX opsets 19 and 20', () => {
  test('every supported op that changed after opset 18 has been reviewed', () => {
    const changed = Object.values(ONNX_OPSET_CHANGES).flat().filter((op) => SUPPORTED_ONNX_OPS.includes(op));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.filter((op) => ONNX_CHANGES_REVIEWED[op] === undefined)).toEqual([]);
    expect(Object.keys(ONNX_CHANGES_REVIEWED).filter((op) => !changed.includes(op))).toEqual([]);
    for (let v = 19; v <= ONNX_OPSETS.max; v++) expect(ONNX_OPSET_CHANGES[v]?.length).toBeGreaterThan(0);
  });

  test('an op changed in opset 20 without a review: refused at opset 20, read at 19', () => {
    expect(unreviewedOpsetChange('ReduceMin', 19, 'm.onnx')).toBeNull();
    expect(unreviewedOpsetChange('ReduceMin', 20, 'm.onnx')?.format()).toBe('error NN115: m.onnx: op ReduceMin changed in opset 20, and nnchip reads it as of opset 18 (the model\'s opset is 20) — re-export the model with an ONNX opset from 1 to 20 (torch.onnx.export(..., opset_version=17))');
    expect(unreviewedOpsetChange('Shape', 20, 'm.onnx')?.detail).toMatch(/changed in opset 19/);
    expect(unreviewedOpsetChange('Gelu', 20, 'm.onnx')).toBeNull();
    expect(unreviewedOpsetChange('Relu', 20, 'm.onnx')).toBeNull();
  });
});
