// Shared by the alternated before/after benches (sim-alternate.mjs, lower-alternate.mjs, compiled-alternate.mjs).
import { resolve } from 'node:path';
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** `median (min–max)`, two decimals. */
export const fmt = (xs) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
/** The checkouts and round count of `node bench/<script> <before-checkout> <after-checkout> [rounds = 5]` (usage and exit 2 when short). */
export function alternateArgs(script) {
  const [beforeRoot, afterRoot, roundsArg] = process.argv.slice(2);
  if (afterRoot === undefined) {
    console.error(`usage: node bench/${script} <before-checkout> <after-checkout> [rounds]`);
    process.exit(2);
  }
  return { rounds: Number(roundsArg ?? 5), builds: { before: resolve(beforeRoot), after: resolve(afterRoot) } };
}
