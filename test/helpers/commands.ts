/** The `nnchip …` command lines that docs and --help show, and which of them run as written. */

/** Every `nnchip` line of a Markdown file's code blocks, continuations joined, comments dropped. */
export function codeBlockCommands(markdown: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  let pending = '';
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) {
      inBlock = !inBlock;
      continue;
    }
    if (!inBlock) continue;
    const text = pending === '' ? line : `${pending} ${line.trim()}`;
    if (text.endsWith('\\')) {
      pending = text.slice(0, -1).trimEnd();
      continue;
    }
    pending = '';
    if (/^nnchip /.test(text)) out.push(text.replace(/\s+#\s.*$/, '').trim());
  }
  return out;
}

// out/digits-test.json: the labeled digits `npm run demo` writes
const BROUGHT = /(^|\s)(out\/digits-test\.json|model\.json|model\.onnx|big\.onnx|net\.csv|samples\.json|labeled\.json|small\.json|a\.jsonl|other\.\S+|\/dev\/tty\S*|\/models\/\S*)(\s|$)/;
/** Not a synopsis, a shell construct, or a line naming a file the reader brings (or the demo writes) or a board port. */
export const runnable = (cmd: string): boolean => !/[[\]|*$<>{}&;"']/.test(cmd) && !BROUGHT.test(cmd);
