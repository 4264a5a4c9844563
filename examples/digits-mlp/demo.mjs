// The README's first command (`npm run demo`): lower the shipped MLP, then compare int8 and float
// top-1 accuracy on the 2,004 held-out digits. Needs `npm ci`; `npm run demo` builds dist/ first.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadDigits, writeLabeledJson } from '../digits-data.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const dist = here('../../dist/src/cli/main.js');
if (!existsSync(dist)) {
  console.error('dist/ is missing: run `npm run build` first (`npm run demo` does)');
  process.exit(1);
}
const { main } = await import(dist);

const model = here('./model.json');
const data = here('../../out/digits-test.json');
mkdirSync(here('../../out'), { recursive: true });
writeLabeledJson(data, loadDigits('test'));

const steps = [
  ['lower', model, '-o', here('../../out/digits-mlp.nnchip')],
  ['eval', model, '--data', data],
];
for (const argv of steps) {
  console.log(`\n$ nnchip ${argv.map((a) => a.replace(here('../../'), '')).join(' ')}`);
  const code = await main(argv);
  if (code !== 0) process.exit(code);
}
