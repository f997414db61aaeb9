/**
 * A short, one-line description of any JSON value for an error message. Never recurses: an error
 * about a 200,000-deep nested array must not itself overflow the stack (as `JSON.stringify` of it
 * does), and a megabyte of data has no place in a one-line message.
 *
 * @param v - any value parsed from JSON
 * @returns e.g. `"abc"`, `12`, `null`, `an array (3 items)`, `an object (2 keys)`
 *
 * @example
 * ```ts
 * jsonPreview([[1], [2]]); // 'an array (2 items)'
 * jsonPreview('x'.repeat(100)); // '"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…"'
 * ```
 */
export function jsonPreview(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array (${v.length} item${v.length === 1 ? '' : 's'})`;
  if (typeof v === 'object') {
    const n = Object.keys(v as object).length;
    return `an object (${n} key${n === 1 ? '' : 's'})`;
  }
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}
