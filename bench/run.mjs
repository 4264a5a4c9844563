// `npm run bench`: every benchmark script in this folder, one after another (figures, never asserts).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
for (const file of readdirSync(here).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs').sort()) {
  if (only.length > 0 && !only.some((o) => file.includes(o))) continue;
  console.log(`\n=== bench/${file}`);
  spawnSync(process.execPath, [`${here}${file}`], { stdio: 'inherit' });
}
