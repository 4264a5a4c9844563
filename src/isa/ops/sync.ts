// SPDX-License-Identifier: MIT
/** `sync`: a compute-unit no-op that only moves tokens (routes a load⇄store dependency). */
import { FORMATS } from '../spec.js';
import type { OpDef } from './types.js';

export const sync: OpDef<'sync'> = {
  unit: 'compute',
  fields: FORMATS.sync,
  semantics: 'no effect; its tokens order the units around it.',
  execute: () => undefined,
  accesses: () => [],
  duration: () => 1,
  count: () => undefined,
};
