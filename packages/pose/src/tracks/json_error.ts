// Syntax-error location for JSON text. Only runs after JSON.parse has already failed, because
// V8's messages for large inputs often carry a snippet instead of a position.

/** Where a JSON text first stops being valid. */
export interface JsonSyntaxProblem {
  /** Character offset of the offending token. */
  pos: number;
  /** 1-based line and column of `pos`. */
  line: number;
  column: number;
  /** What was found there. */
  found: string;
  /** What was expected. */
  expected: string;
}

class Fail {
  constructor(
    readonly pos: number,
    readonly expected: string,
  ) {}
}

/**
 * Scans `text` as strict JSON (RFC 8259) and returns the first syntax problem, or `undefined` if
 * the text is valid.
 */
export function locateJsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const str = () => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) throw new Fail(i, 'a closing quote (control characters must be escaped)');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Fail(i, 'a \\uXXXX escape');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else throw new Fail(i, 'a valid escape sequence');
      } else i++;
    }
    throw new Fail(n, 'a closing quote');
  };
  const num = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '-' || m[0] === '') throw new Fail(i, 'a number');
    i += m[0].length;
  };
  const value = (depth: number): void => {
    if (depth > 2000) throw new Fail(i, 'less deeply nested data');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Fail(i, 'a double-quoted property name');
        str();
        ws();
        if (text[i] !== ':') throw new Fail(i, "':'");
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        throw new Fail(i, "',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        throw new Fail(i, "',' or ']'");
      }
    }
    if (c === '"') return str();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return num();
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    throw new Fail(i, 'a value');
  };
  try {
    value(0);
    ws();
    if (i < n) throw new Fail(i, 'end of input');
    return undefined;
  } catch (e) {
    if (!(e instanceof Fail)) throw e;
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < e.pos && k < n; k++) {
      if (text.charCodeAt(k) === 0x0a) {
        line++;
        lineStart = k + 1;
      }
    }
    const found = e.pos >= n ? 'end of input' : JSON.stringify(text.slice(e.pos, e.pos + 12));
    return { pos: e.pos, line, column: e.pos - lineStart + 1, found, expected: e.expected };
  }
}

const NON_FINITE = /^(-?Infinity|NaN)/;

/**
 * Python's `json.dump` writes NaN / ±Infinity as bare tokens, which JSON.parse rejects. Replaces
 * each such token outside strings by a string of the same length (so positions stay valid) whose
 * content is one of {@link NON_FINITE_SENTINELS}; returns `undefined` if there is none.
 */
export function replacePythonNonFinite(text: string): string | undefined {
  let out: string[] | undefined;
  let last = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inStr) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inStr = false;
      continue;
    }
    if (c === 0x22) {
      inStr = true;
      continue;
    }
    if (c === 0x4e || c === 0x49 || c === 0x2d) {
      const m = NON_FINITE.exec(text.slice(i, i + 9));
      if (m) {
        out ??= [];
        out.push(text.slice(last, i), SENTINEL_BY_TOKEN[m[1]]);
        i += m[1].length - 1;
        last = i + 1;
      }
    }
  }
  if (out === undefined) return undefined;
  out.push(text.slice(last));
  return out.join('');
}

// Same length as the token they replace, quotes included.
const SENTINEL_BY_TOKEN: Record<string, string> = {
  NaN: '"N"',
  Infinity: '"Infini"',
  '-Infinity': '"-Infini"',
};

/** Decoded sentinel strings, mapped back to the Python token they stand for. */
export const NON_FINITE_SENTINELS: ReadonlyMap<string, string> = new Map([
  ['N', 'NaN'],
  ['Infini', 'Infinity'],
  ['-Infini', '-Infinity'],
]);
