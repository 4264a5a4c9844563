// SPDX-License-Identifier: MIT
// Types for tfjs-hard-swish.mjs.
export function registerHardSwish(tf: typeof import('@tensorflow/tfjs')): void;
