// SPDX-License-Identifier: MIT
/** checkGraph: every tensor produced once before use, every shape consistent, weights finite. */
import { NnchipError } from '../diagnostics/error.js';
import type { Graph } from './graph.js';
import { inferShape } from './ops.js';

/** Returns the shape of every tensor; throws the first problem as an NnchipError naming the layer. */
export function checkGraph(g: Graph): Map<string, readonly number[]> {
  const shapes = new Map<string, readonly number[]>();
  for (const i of g.inputs) {
    if (i.shape.length === 0 || i.shape.some((d) => !Number.isInteger(d) || d < 1)) throw new NnchipError('NN203', `input "${i.name}" has shape ${JSON.stringify(i.shape)}; every dimension must be a positive integer`);
    shapes.set(i.name, i.shape);
  }
  for (const n of g.nodes) {
    const inputShapes = n.inputs.map((t) => {
      const s = shapes.get(t);
      if (s === undefined) throw new NnchipError('NN202', `input tensor "${t}" is not produced by any earlier layer`, { layer: n.name });
      return s;
    });
    if (shapes.has(n.output)) throw new NnchipError('NN202', `tensor "${n.output}" is produced twice`, { layer: n.name });
    shapes.set(n.output, inferShape(n, inputShapes));
  }
  for (const o of g.outputs) if (!shapes.has(o)) throw new NnchipError('NN202', `model output "${o}" is not produced by any layer`);
  return shapes;
}
