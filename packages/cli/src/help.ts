/**
 * Two-column help text: every row's description starts in the same column (the widest left cell
 * plus two spaces); a description with line breaks continues in that column.
 *
 * @example
 * ```ts
 * columns([['--out <file>', 'the report'], ['--force', 'replace it']]);
 * // '  --out <file>  the report\n  --force       replace it'
 * ```
 */
export function columns(rows: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  const pad = ' '.repeat(indent.length + width + 2);
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}  ${right.split('\n').join(`\n${pad}`)}`).join('\n');
}

/** The `--backend` row every tensor command shares. */
export const BACKEND_FLAG: readonly [string, string] = ['--backend wasm|cpu', 'tfjs backend (default: wasm in Node, cpu if wasm cannot load)'];
