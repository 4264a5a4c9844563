// SPDX-License-Identifier: MIT
/**
 * Results of pure functions of an instruction list and a machine (its schedule, its race check),
 * kept for lists nothing can change: deep-frozen ones. The compiler's chain pass schedules and
 * race-checks the very list the program ends with, and validation and the certificate would do
 * both again (at 2x2, a quarter of a million instructions: about 0.6 s of `nnchip lower`).
 */
import { CONFIG_FIELD_DOCS, type ArrayConfig } from './config.js';
import type { Instruction } from './spec.js';

/** Lists found deep-frozen: frozen is forever, so each is looked at once. */
const deepFrozen = new WeakSet<readonly Instruction[]>();

/** Whether `insns` and every instruction in it are frozen (instruction fields are numbers and booleans). */
export function isDeepFrozenList(insns: readonly Instruction[]): boolean {
  if (deepFrozen.has(insns)) return true;
  if (!Object.isFrozen(insns)) return false;
  for (let i = 0; i < insns.length; i++) if (!Object.isFrozen(insns[i])) return false;
  deepFrozen.add(insns);
  return true;
}

/** Whether `v` is a list isDeepFrozenList or freezeList has seen deep-frozen (a lookup, no walk). */
export function knownDeepFrozenList(v: object): boolean {
  return deepFrozen.has(v as readonly Instruction[]);
}

/** Freeze `insns` and its instructions (the compiler's, once its passes are done with them). */
export function freezeList(insns: readonly Instruction[]): void {
  for (let i = 0; i < insns.length; i++) Object.freeze(insns[i]);
  Object.freeze(insns);
  deepFrozen.add(insns);
}

const CONFIG_KEYS = Object.keys(CONFIG_FIELD_DOCS) as readonly (keyof ArrayConfig)[];

/** Two machines that time and check a program alike: every field equal. */
function sameMachine(a: ArrayConfig, b: ArrayConfig): boolean {
  if (a === b) return true;
  for (const k of CONFIG_KEYS) if (a[k] !== b[k]) return false;
  return true;
}

/** One result per deep-frozen list, for the machine it was computed on. */
export class ListMemo<T> {
  private readonly known = new WeakMap<readonly Instruction[], { readonly cfg: ArrayConfig; readonly value: T }>();

  /** Keep `value` as the result for `insns` on `cfg`, if `insns` is deep-frozen (else nothing is kept). */
  remember(insns: readonly Instruction[], cfg: ArrayConfig, value: T): void {
    if (isDeepFrozenList(insns)) this.known.set(insns, { cfg: { ...cfg }, value });
  }

  /** The kept result for `insns` on a machine like `cfg`, or undefined. */
  get(insns: readonly Instruction[], cfg: ArrayConfig): T | undefined {
    const e = this.known.get(insns);
    return e !== undefined && sameMachine(e.cfg, cfg) ? e.value : undefined;
  }
}
