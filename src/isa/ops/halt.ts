// SPDX-License-Identifier: MIT
/** `halt`: the end of the program; the machine is done when every unit is idle. */
import { FORMATS } from '../spec.js';
import type { OpDef } from './types.js';

export const halt: OpDef<'halt'> = {
  unit: 'fetch',
  fields: FORMATS.halt,
  semantics: 'ends instruction fetch; the program is done when every unit is idle.',
  execute: () => undefined,
  accesses: () => [],
  duration: () => 0,
  count: () => undefined,
};
