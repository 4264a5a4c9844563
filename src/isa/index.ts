// SPDX-License-Identifier: MIT
/** Public entry point of the ISA package (`nnchip/isa`): re-exports only. */
export * from './spec.js';
export * from './config.js';
export * from './numerics.js';
export * from './encode.js';
export * from './program.js';
export * from './interpret.js';
export * from './timing.js';
export * from './cost.js';
export * from './asm.js';
export * from './effects.js';
export * from './ops/index.js';
export * from './state.js';
export * from './ordering.js';
export * from './validate.js';
