// Mutation operators for the fuzz suite: hostile edits of JSON, text-row and binary inputs. Each
// operator is a pure function of the original bytes and a plan that fast-check generates, so a
// failing case is reproducible from the seed and the printed plan.
import fc from 'fast-check';

/** Numbers and values a hostile or broken writer produces; raw JSON text. */
export const HOSTILE_JSON = [
  '1e30', '-1e30', '1e39', '-1e39', '1e300', 'NaN', 'Infinity', '-Infinity', '-1', '0', '-0', '1.5', '1e-320',
  '9007199254740993', 'null', 'true', '""', '"x"', '"NaN"', '"Infinity"', '[]', '{}', '[[[[[[[[[[1]]]]]]]]]]',
  '"' + 'a'.repeat(5000) + '"', 'DEEP',
] as const;

/** Tokens for text rows (RBDC/TBDC files, ASF, AMC, BVH). */
export const HOSTILE_TOKENS = ['1e300', '-1e300', 'nan', 'inf', '-inf', 'NaN', '-1', '1e39', '', 'x', '0', '-0', '1e-400', '999999999999', '1.5', '0x10', '#'] as const;

const DEEP = '['.repeat(200_000) + ']'.repeat(200_000);

export type JsonOp = 'replace' | 'delete' | 'duplicate' | 'wrap';
export interface JsonPlan {
  op: JsonOp;
  at: number;
  value: (typeof HOSTILE_JSON)[number];
}
export const jsonPlan: fc.Arbitrary<JsonPlan> = fc.record({
  op: fc.constantFrom<JsonOp>('replace', 'replace', 'replace', 'delete', 'duplicate', 'wrap'),
  at: fc.nat(),
  value: fc.constantFrom(...HOSTILE_JSON),
});

const raw = (v: string) => (v === 'DEEP' ? DEEP : v);

/**
 * Applies a structural edit to JSON text at the `at`-th value (depth-first, iterative): replace it
 * by a hostile value, delete it (object key or array item), duplicate an object key with another
 * value (JSON.parse would keep the last), or wrap it in an array. Returns the new text.
 */
export function mutateJson(text: string, plan: JsonPlan): string {
  const root = JSON.parse(text) as unknown;
  // Collect containers and keys of every value, iteratively.
  const slots: { parent: unknown[] | Record<string, unknown>; key: string | number }[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0 && slots.length < 200_000) {
    const v = stack.pop();
    if (Array.isArray(v)) v.forEach((x, i) => (slots.push({ parent: v, key: i }), stack.push(x)));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) slots.push({ parent: v as Record<string, unknown>, key: k }), stack.push(x);
  }
  if (slots.length === 0) return raw(plan.value);
  const slot = slots[plan.at % slots.length]!;
  const MARK = '"__SKELFLOW_FUZZ_RAW__"';
  const p = slot.parent as Record<string | number, unknown>;
  switch (plan.op) {
    case 'delete':
      if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
      else delete p[slot.key];
      return JSON.stringify(root);
    case 'wrap':
      p[slot.key] = [p[slot.key]];
      return JSON.stringify(root);
    case 'duplicate':
      if (!Array.isArray(slot.parent)) {
        const dupKey = String(slot.key);
        const text2 = JSON.stringify(root, (k, v) => (v === p ? { ...(v as object), __SKELFLOW_FUZZ_DUP__: 0 } : v));
        return text2.replace('"__SKELFLOW_FUZZ_DUP__":0', `${JSON.stringify(dupKey)}:${raw(plan.value)}`);
      }
      p[slot.key] = '__SKELFLOW_FUZZ_RAW__';
      return JSON.stringify(root).replace(MARK, raw(plan.value));
    default:
      p[slot.key] = '__SKELFLOW_FUZZ_RAW__';
      return JSON.stringify(root).replace(MARK, raw(plan.value));
  }
}

export type BytesOp = 'truncate' | 'cut' | 'insert' | 'flip' | 'repeat' | 'empty';
export interface BytesPlan {
  op: BytesOp;
  at: number;
  len: number;
  byte: number;
}
export const bytesPlan: fc.Arbitrary<BytesPlan> = fc.record({
  op: fc.constantFrom<BytesOp>('truncate', 'cut', 'insert', 'flip', 'flip', 'repeat', 'empty'),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 64 }),
  byte: fc.integer({ min: 0, max: 255 }),
});

/** Byte-level damage: truncation, a cut, inserted bytes, a flipped byte, a repeated slice, an empty file. */
export function mutateBytes(data: Uint8Array, plan: BytesPlan): Uint8Array {
  const n = data.length;
  const at = n === 0 ? 0 : plan.at % n;
  const b = Buffer.from(data);
  switch (plan.op) {
    case 'truncate':
      return b.subarray(0, at);
    case 'cut':
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(n, at + plan.len))]);
    case 'insert':
      return Buffer.concat([b.subarray(0, at), Buffer.alloc(plan.len, plan.byte), b.subarray(at)]);
    case 'flip': {
      const c = Buffer.from(b);
      if (n > 0) c[at] = c[at]! ^ (plan.byte || 1);
      return c;
    }
    case 'repeat':
      return Buffer.concat([b.subarray(0, at + plan.len), b.subarray(at)]);
    default:
      return Buffer.alloc(0);
  }
}

export interface FloatPlan {
  at: number;
  value: number;
  width: 4 | 8;
}
export const floatPlan: fc.Arbitrary<FloatPlan> = fc.record({
  at: fc.nat(),
  value: fc.constantFrom(NaN, Infinity, -Infinity, 1e300, -1e300, 1e39, 3.5e38, 1e-320, -0, 2, 255),
  width: fc.constantFrom<4 | 8>(4, 8),
});

/** Writes a hostile float (little-endian) at an aligned offset at or after `dataStart`. */
export function mutateFloat(data: Uint8Array, dataStart: number, plan: FloatPlan): Uint8Array {
  const c = Buffer.from(data);
  const slots = Math.floor((c.length - dataStart) / plan.width);
  if (slots <= 0) return c;
  const off = dataStart + (plan.at % slots) * plan.width;
  if (plan.width === 8) c.writeDoubleLE(plan.value, off);
  else c.writeFloatLE(plan.value, off);
  return c;
}

export type LinesOp = 'token' | 'delete' | 'duplicate' | 'swap' | 'garbage';
export interface LinesPlan {
  op: LinesOp;
  line: number;
  token: number;
  value: (typeof HOSTILE_TOKENS)[number];
}
export const linesPlan: fc.Arbitrary<LinesPlan> = fc.record({
  op: fc.constantFrom<LinesOp>('token', 'token', 'token', 'delete', 'duplicate', 'swap', 'garbage'),
  line: fc.nat(),
  token: fc.nat(),
  value: fc.constantFrom(...HOSTILE_TOKENS),
});

/** Line/token edits of a text format: a token replaced by a hostile one, a line deleted, duplicated, swapped or garbled. */
export function mutateLines(text: string, plan: LinesPlan): string {
  const lines = text.split('\n');
  const i = plan.line % lines.length;
  switch (plan.op) {
    case 'delete':
      lines.splice(i, 1);
      break;
    case 'duplicate':
      lines.splice(i, 0, lines[i]!);
      break;
    case 'swap':
      if (i + 1 < lines.length) [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!];
      break;
    case 'garbage':
      lines.splice(i, 0, `${plan.value} ${plan.value},${plan.value}`);
      break;
    default: {
      const parts = lines[i]!.split(/([\s,]+)/);
      const tokens = parts.map((p, k) => (k % 2 === 0 && p !== '' ? k : -1)).filter((k) => k >= 0);
      if (tokens.length > 0) parts[tokens[plan.token % tokens.length]!] = plan.value;
      lines[i] = parts.join('');
    }
  }
  return lines.join('\n');
}
