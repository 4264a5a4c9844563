// SPDX-License-Identifier: MIT
/**
 * "Did you mean" for a value of an option (`--backend sm`, `--board icebraker`), by the rule
 * commander applies to mistyped commands and options, so both kinds of typo are answered alike:
 * the candidates at the smallest edit distance (insert, delete, substitute, swap two neighbours),
 * at most 3, that keep over 40% of the longer word (in the candidates' own order).
 */

/** Optimal-string-alignment distance between two words. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidates to a mistyped word (none when nothing is close). */
export function similar(word: string, candidates: readonly string[]): string[] {
  let best = 3;
  let found: string[] = [];
  for (const c of new Set(candidates)) {
    if (c.length <= 1) continue; // no one-character guesses
    // the distance is at least the difference in length: a 100,000-character name was 30 tables of 3 million cells (4 s)
    if (Math.abs(word.length - c.length) > best) continue;
    const distance = editDistance(word.toLowerCase(), c.toLowerCase());
    const length = Math.max(word.length, c.length);
    if ((length - distance) / length <= 0.4) continue;
    if (distance < best) [best, found] = [distance, [c]];
    else if (distance === best) found.push(c);
  }
  return found;
}

/** `; did you mean b?` for a near miss, else ''. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const close = similar(word, candidates);
  return close.length === 0 ? '' : `; did you mean ${close.length === 1 ? close[0] : `one of ${close.join(', ')}`}?`;
}

/** `available: a, b, c` and, for a near miss, `; did you mean b?` — the inside of an error's parentheses. */
export function availableChoices(word: string, candidates: readonly string[], suffix = ''): string {
  return `available: ${candidates.join(', ')}${suffix}${didYouMean(word, candidates)}`;
}
