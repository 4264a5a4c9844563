// SPDX-License-Identifier: MIT
/** simulate(): one inference on the modelled machine, in fast (event) or step (register) mode. */
import { runStep } from './step.js';
import { simulatorWith, type SimulateFn } from './simulator.js';

export type { SimMode, SimOptions, SimResult, SimulateFn } from './simulator.js';

export const simulate: SimulateFn = simulatorWith(runStep);
