// SPDX-License-Identifier: MIT
/**
 * The one placeholder filler for rtl-templates/ and targets/: `{{NAME}}` → value. A placeholder
 * without a value, or a value that no placeholder uses, is an nnchip bug and fails loudly.
 */
import { internal } from '../../diagnostics/error.js';

export type TemplateValues = Readonly<Record<string, string | number>>;

// Verilog's own `{{N{x}}` replications never match: a placeholder is an upper-case name closed by `}}`.
const PLACEHOLDER = /\{\{([A-Z][A-Z0-9_]*)\}\}/g;

/** Names of the placeholders in a template, in order of first appearance. */
export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

export function fillTemplate(name: string, text: string, values: TemplateValues): string {
  const used = new Set<string>();
  const out = text.replace(PLACEHOLDER, (_, key: string) => {
    const v = values[key];
    if (v === undefined) throw internal(`template ${name}: no value for placeholder {{${key}}}`);
    used.add(key);
    return String(v);
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw internal(`template ${name}: values given for placeholders it does not have: ${unused.join(', ')}`);
  return out;
}
