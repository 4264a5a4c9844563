#!/usr/bin/env node
// Writes the deterministic digit splits of ../digits-data.mjs as raw float32/uint8 files for
// export.py (which runs this script): <dir>/<split>-x.f32 (N×784, row-major 28×28 in [0, 1])
// and <dir>/<split>-y.u8 (N labels).   node dump-digits.mjs <dir>
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDigits, IMAGE_SIZE } from '../digits-data.mjs';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node dump-digits.mjs <output dir>');
for (const split of ['train', 'test', 'calibration']) {
  const { inputs, labels } = loadDigits(split);
  const x = new Float32Array(inputs.length * IMAGE_SIZE);
  inputs.forEach((row, i) => x.set(row, i * IMAGE_SIZE));
  writeFileSync(join(dir, `${split}-x.f32`), new Uint8Array(x.buffer));
  writeFileSync(join(dir, `${split}-y.u8`), Uint8Array.from(labels));
  console.log(`${split}: ${labels.length} samples`);
}
