// SPDX-License-Identifier: MIT
/**
 * What JSON.parse does not say about a JSON file: a UTF-8 byte order mark before it (Windows editors
 * write one; JSON.parse failed on it with an invisible "Unexpected token") and a key given twice in
 * one object (JSON.parse keeps the last, so `{"rows": 4, "rows": 8}` was a machine of 8 rows, silently).
 */

/** The text without a leading UTF-8 byte order mark. */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** An open object (keys) or array (keys null); `label` how its parent reaches it (`.config`, `[2]`); `name` its last key. */
type Frame = { readonly keys: Set<string> | null; readonly label: string; name: string; expectKey: boolean; index: number };

/**
 * The first key that appears twice in one object of `text` (valid JSON: call it after JSON.parse
 * succeeded), with where that object is (`layers[2].config`), or undefined. One pass, no tree.
 */
export function duplicateKey(text: string): { key: string; at: string } | undefined {
  const stack: Frame[] = [];
  const path = (): string => stack.map((f) => f.label).join('').replace(/^\./, '');
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      let escaped = false;
      for (; j < text.length && text.charCodeAt(j) !== 0x22; j++) if (text.charCodeAt(j) === 0x5c) (escaped = true), j++;
      const top = stack.at(-1);
      if (top !== undefined && top.keys !== null && top.expectKey) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (top.keys.has(key)) return { key, at: path() };
        top.keys.add(key);
        top.expectKey = false;
        top.name = key;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      const parent = stack.at(-1);
      const label = parent === undefined ? '' : parent.keys === null ? `[${parent.index}]` : `.${parent.name}`;
      stack.push({ keys: c === 0x7b ? new Set() : null, label, name: '', expectKey: true, index: 0 });
    } else if (c === 0x7d || c === 0x5d) stack.pop();
    else if (c === 0x2c) {
      const top = stack.at(-1);
      if (top !== undefined) top.keys === null ? top.index++ : (top.expectKey = true);
    }
  }
  return undefined;
}
