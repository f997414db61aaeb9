// Duplicate object keys in JSON text. JSON.parse keeps the last of two equal keys without a word,
// which silently drops a tracked person or a frame; this scan finds the first such key. It is
// iterative (an explicit stack), so nesting depth cannot overflow the call stack.

/** A key that occurs twice in one JSON object. */
export interface DuplicateJsonKey {
  /** The repeated key (decoded). */
  key: string;
  /** Keys of the enclosing objects, outermost first (array levels are skipped). */
  path: string[];
  /** 1-based line and column of the second occurrence. */
  line: number;
  column: number;
}

interface ObjectLevel {
  keys: Set<string>;
  key: string | undefined;
}

/**
 * Scans JSON text that `JSON.parse` accepted (or that differs from such text only inside strings)
 * and returns the first key repeated within one object, or `undefined`.
 *
 * @example
 * ```ts
 * findDuplicateJsonKey('{"1": {}, "1": {}}'); // { key: '1', path: [], line: 1, column: 11 }
 * ```
 */
export function findDuplicateJsonKey(text: string): DuplicateJsonKey | undefined {
  const stack: (ObjectLevel | null)[] = []; // null = an array level
  let expectKey = false;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i++;
      let escaped = false;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) {
          escaped = true;
          i += 2;
          continue;
        }
        if (d === 0x22) break;
        i++;
      }
      const end = i++;
      const top = stack.length > 0 ? stack[stack.length - 1] : null;
      if (top && expectKey) {
        const raw = text.slice(start + 1, end);
        let key = raw;
        if (escaped) {
          try {
            key = JSON.parse(text.slice(start, end + 1)) as string;
          } catch {
            // an invalid escape: JSON.parse of the whole text reports it
          }
        }
        if (top.keys.has(key)) {
          const path: string[] = [];
          for (const lvl of stack) if (lvl && lvl !== top && lvl.key !== undefined) path.push(lvl.key);
          return { key, path, ...lineColumn(text, start) };
        }
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      continue;
    }
    if (c === 0x7b) {
      stack.push({ keys: new Set(), key: undefined });
      expectKey = true;
    } else if (c === 0x5b) {
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c) {
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
    }
    i++;
  }
  return undefined;
}

function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < pos; k++) {
    if (text.charCodeAt(k) === 0x0a) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: pos - lineStart + 1 };
}
