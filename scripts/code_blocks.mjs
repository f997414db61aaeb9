// Fenced code blocks of a Markdown text, for the tests that run documentation as written
// (test/packed.test.ts: the README's "Using it"; test/guides.test.ts: docs/guides/*.md).

/**
 * Every fenced block (```lang info … ```) in order, with its language, the rest of its info string
 * and the 1-based line of its first code line.
 */
export function codeBlocks(markdown) {
  const out = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i + 1;
    let j = start;
    while (j < lines.length && !/^```\s*$/.test(lines[j])) j++;
    out.push({ lang: open[1], info: open[2], line: start + 1, code: lines.slice(start, j).join('\n') + '\n' });
    i = j;
  }
  return out;
}
