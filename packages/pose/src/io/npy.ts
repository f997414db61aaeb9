import { InputError } from '@skelflow/base';

/**
 * Element types {@link readNpy} understands, spelled as NumPy's `descr` strings. Multi-byte types
 * are little-endian only: every file the STG-NF pipeline meets (ShanghaiTech / UBnormal masks) is,
 * and silently byte-swapping would hide a mislabelled file.
 */
export type NpyDtype =
  | '|u1'
  | '|b1'
  | '|i1'
  | '<i2'
  | '<u2'
  | '<i4'
  | '<u4'
  | '<i8'
  | '<u8'
  | '<f4'
  | '<f8';

/** Element types {@link writeNpy} can write. */
export type NpyWriteDtype = '|u1' | '<f4' | '<f8';

/** Typed arrays {@link readNpy} returns; 64-bit integers come back as `Float64Array`. */
export type NpyData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/** A decoded `.npy` array: flat C-order data plus its shape. */
export interface NpyArray {
  /** The file's `descr` (normalised: one-byte types always carry the `|` prefix). */
  dtype: NpyDtype;
  /** Dimensions, outermost first; `[]` for a 0-d array. */
  shape: number[];
  /** Elements in C (row-major) order; `|b1` is returned as 0/1 bytes. */
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface DtypeInfo {
  size: number;
  read: (bytes: Uint8Array, n: number, source: string) => NpyData;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// Copying into a fresh buffer both fixes alignment (the header length is not always a multiple of
// the item size, and the caller's Uint8Array may start at any offset) and detaches the result
// from the caller's file buffer.
function viewCopy<T extends NpyData>(
  bytes: Uint8Array,
  n: number,
  size: number,
  ctor: { new (buffer: ArrayBuffer): T },
  get: (dv: DataView, off: number) => number,
): T {
  const buf = new ArrayBuffer(n * size);
  if (HOST_LITTLE_ENDIAN || size === 1) {
    new Uint8Array(buf).set(bytes.subarray(0, n * size));
    return new ctor(buf);
  }
  const out = new ctor(buf);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = get(dv, i * size);
  return out;
}

function read64(bytes: Uint8Array, n: number, source: string, signed: boolean): Float64Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(n);
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < n; i++) {
    const v = signed ? dv.getBigInt64(i * 8, true) : dv.getBigUint64(i * 8, true);
    // A JS number holds integers exactly only up to 2^53; refusing is better than a silently
    // rounded frame index or label.
    if (v > max || v < -max) {
      throw new InputError(`64-bit integer ${v} does not fit a JavaScript number exactly`, {
        source,
        location: `element ${i}`,
      });
    }
    out[i] = Number(v);
  }
  return out;
}

// NumPy writes booleans as bytes 0 and 1; anything else is a mislabelled file.
function checkBool(data: Uint8Array, source: string): Uint8Array {
  const i = data.findIndex((v) => v > 1);
  if (i >= 0) throw new InputError(`invalid boolean byte ${data[i]}`, { source, location: `element ${i}` });
  return data;
}

const DTYPES: Record<NpyDtype, DtypeInfo> = {
  '|u1': { size: 1, read: (b, n) => viewCopy(b, n, 1, Uint8Array, (dv, o) => dv.getUint8(o)) },
  '|b1': { size: 1, read: (b, n, source) => checkBool(viewCopy(b, n, 1, Uint8Array, (dv, o) => dv.getUint8(o)), source) },
  '|i1': { size: 1, read: (b, n) => viewCopy(b, n, 1, Int8Array, (dv, o) => dv.getInt8(o)) },
  '<i2': { size: 2, read: (b, n) => viewCopy(b, n, 2, Int16Array, (dv, o) => dv.getInt16(o, true)) },
  '<u2': { size: 2, read: (b, n) => viewCopy(b, n, 2, Uint16Array, (dv, o) => dv.getUint16(o, true)) },
  '<i4': { size: 4, read: (b, n) => viewCopy(b, n, 4, Int32Array, (dv, o) => dv.getInt32(o, true)) },
  '<u4': { size: 4, read: (b, n) => viewCopy(b, n, 4, Uint32Array, (dv, o) => dv.getUint32(o, true)) },
  '<i8': { size: 8, read: (b, n, s) => read64(b, n, s, true) },
  '<u8': { size: 8, read: (b, n, s) => read64(b, n, s, false) },
  '<f4': { size: 4, read: (b, n) => viewCopy(b, n, 4, Float32Array, (dv, o) => dv.getFloat32(o, true)) },
  '<f8': { size: 8, read: (b, n) => viewCopy(b, n, 8, Float64Array, (dv, o) => dv.getFloat64(o, true)) },
};

// ---- a parser for the Python-literal header dict ------------------------------------------------

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** An .npy header is one flat dict with a shape tuple; deeper nesting is refused, not recursed into. */
const MAX_HEADER_DEPTH = 32;

class HeaderParser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly s: string,
    private readonly source: string,
  ) {}

  fail(msg: string): never {
    const text = this.s.trim();
    throw new InputError(`malformed .npy header: ${msg} (header: ${JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)})`, {
      source: this.source,
      location: `header offset ${this.i}`,
    });
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  parseTop(): PyValue {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail('unexpected text after the header dict');
    return v;
  }

  private value(): PyValue {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail('unexpected end of header');
    if (c === '{' || c === '(' || c === '[') {
      if (++this.depth > MAX_HEADER_DEPTH) this.fail(`nested deeper than ${MAX_HEADER_DEPTH} levels`);
      const v = c === '{' ? this.dict() : this.seq(c === '(' ? ')' : ']');
      this.depth--;
      return v;
    }
    if (c === "'" || c === '"') return this.str();
    if (/[-+0-9]/.test(c)) return this.int();
    const m = /^(True|False|None)\b/.exec(this.s.slice(this.i));
    if (m) {
      this.i += m[1].length;
      return m[1] === 'None' ? null : m[1] === 'True';
    }
    this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  private str(): string {
    const q = this.s[this.i++];
    let out = '';
    while (this.i < this.s.length && this.s[this.i] !== q) {
      if (this.s[this.i] === '\\') this.i++;
      out += this.s[this.i++] ?? '';
    }
    if (this.s[this.i] !== q) this.fail('unterminated string');
    this.i++;
    return out;
  }

  private int(): number {
    // Python 2 era files write long integers with an `L` suffix, e.g. `(451L,)`.
    const m = /^[-+]?\d+L?/.exec(this.s.slice(this.i));
    if (!m) this.fail('bad number');
    this.i += m[0].length;
    return Number(m[0].replace('L', ''));
  }

  private seq(close: string): PyValue[] {
    this.i++;
    const out: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) this.fail(`expected ',' or '${close}'`);
    }
  }

  private dict(): { [key: string]: PyValue } {
    this.i++;
    const out: { [key: string]: PyValue } = {};
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const k = this.value();
      if (typeof k !== 'string') this.fail('dict keys must be strings');
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      out[k] = this.value();
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') this.fail("expected ',' or '}'");
    }
  }
}

function normaliseDescr(descr: string, source: string): NpyDtype {
  // NumPy writes one-byte types as '|u1' but older writers and hand-made files use '<u1' / 'u1'.
  let d = descr;
  if (/^[<>=|]?[ubi]1$/.test(d)) d = '|' + d.replace(/^[<>=|]/, '');
  if (d.startsWith('>')) {
    throw new InputError(`unsupported dtype '${descr}': big-endian dtypes are not supported; convert with arr.astype('<${d.slice(1)}')`, {
      source,
      location: 'dtype',
    });
  }
  if (!(d in DTYPES)) {
    throw new InputError(
      `unsupported dtype '${descr}' (supported: ${Object.keys(DTYPES).join(', ')})`,
      { source, location: 'dtype' },
    );
  }
  return d as NpyDtype;
}

/**
 * Decodes a NumPy `.npy` file (format versions 1.0, 2.0 and 3.0).
 *
 * Used for the frame-level ground-truth masks of ShanghaiTech (`test_frame_mask/*.npy`, uint8,
 * 1 = abnormal) and UBnormal (float64, 1 = normal), which STG-NF loads with `np.load` in
 * `utils/scoring_utils.py`.
 *
 * References: NumPy format specification (`numpy.lib.format`, NEP 1); STG-NF (Hirschorn & Avidan,
 * ICCV 2023), `utils/scoring_utils.py` `get_clip_score`.
 *
 * @param bytes the whole file
 * @param source file name used in error messages
 * @returns dtype, shape and a fresh C-order typed array (`<i8`/`<u8` as `Float64Array`; values
 *   beyond ±2^53 throw rather than round)
 * @throws InputError (naming `source`) on a bad magic string, unknown version, malformed header,
 *   Fortran order, big-endian or unsupported dtype, or truncated data
 *
 * @example
 * ```ts
 * const { shape, data } = readNpy(new Uint8Array(await (await fetch('01_0014.npy')).arrayBuffer()), '01_0014.npy');
 * ```
 */
export function readNpy(bytes: Uint8Array, source: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new InputError('not a .npy file (missing \\x93NUMPY magic string)', { source, location: 'byte 0' });
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw new InputError(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`, {
      source,
      location: 'byte 6',
    });
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenSize) throw new InputError('truncated .npy header', { source, location: 'byte 8' });
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataStart = 8 + lenSize + headerLen;
  if (bytes.length < dataStart) {
    throw new InputError(`truncated .npy header: declares ${headerLen} bytes, file has ${bytes.length - 8 - lenSize}`, {
      source,
      location: 'header',
    });
  }
  const headerBytes = bytes.subarray(8 + lenSize, dataStart);
  // Versions 1 and 2 are latin-1, version 3 is UTF-8 (only field names can differ, and those are
  // irrelevant for the plain dtypes supported here).
  let header = '';
  if (major === 3) header = new TextDecoder('utf-8').decode(headerBytes);
  else for (let i = 0; i < headerBytes.length; i++) header += String.fromCharCode(headerBytes[i]);

  const dict = new HeaderParser(header, source).parseTop();
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) {
    throw new InputError('malformed .npy header: not a dict', { source, location: 'header' });
  }
  const { descr, fortran_order: fortran, shape } = dict;
  if (typeof descr !== 'string') {
    throw new InputError(
      descr === undefined
        ? "malformed .npy header: missing 'descr'"
        : `unsupported dtype ${JSON.stringify(descr)} (structured arrays are not supported)`,
      { source, location: descr === undefined ? 'header' : 'dtype' },
    );
  }
  if (typeof fortran !== 'boolean') {
    throw new InputError("malformed .npy header: 'fortran_order' must be True or False", { source, location: 'header' });
  }
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new InputError("malformed .npy header: 'shape' must be a tuple of non-negative integers", {
      source,
      location: 'header',
    });
  }
  const dims = shape as number[];
  const dtype = normaliseDescr(descr, source);
  if (fortran) {
    // Reading Fortran order as C order would silently transpose the data.
    throw new InputError('Fortran-order arrays are not supported; save with np.ascontiguousarray(arr)', {
      source,
      location: 'header',
    });
  }
  const n = dims.reduce((a, b) => a * b, 1);
  const info = DTYPES[dtype];
  const body = bytes.subarray(dataStart);
  if (body.length < n * info.size) {
    throw new InputError(
      `truncated .npy data: shape (${dims.join(', ')}) of ${dtype} needs ${n * info.size} bytes, file has ${body.length}`,
      { source, location: 'data' },
    );
  }
  return { dtype, shape: dims.slice(), data: info.read(body, n, source) };
}

/**
 * Encodes a C-order array as a NumPy `.npy` file (format 1.0, or 2.0 when the header would not fit),
 * byte-compatible with `np.save` (header padded with spaces to a multiple of 64 bytes).
 *
 * References: NumPy format specification (`numpy.lib.format`).
 *
 * @param array elements in C order; its length must equal the product of `shape`
 * @param shape dimensions, outermost first (`[]` for a scalar)
 * @param dtype `'|u1'` (integers 0..255), `'<f4'` or `'<f8'`
 * @throws InputError (source `writeNpy`) on a shape/length mismatch or a value `|u1` cannot hold
 *
 * @example
 * ```ts
 * const bytes = writeNpy(new Uint8Array([0, 0, 1]), [3], '|u1'); // np.load gives array([0, 0, 1], dtype=uint8)
 * ```
 */
export function writeNpy(array: ArrayLike<number>, shape: readonly number[], dtype: NpyWriteDtype): Uint8Array {
  const source = 'writeNpy';
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new InputError(`shape must be non-negative integers, got [${shape.join(', ')}]`, { source });
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== array.length) {
    throw new InputError(`array has ${array.length} elements but shape [${shape.join(', ')}] needs ${n}`, { source });
  }
  if (!(dtype === '|u1' || dtype === '<f4' || dtype === '<f8')) {
    throw new InputError(`cannot write dtype '${String(dtype)}' (supported: |u1, <f4, <f8)`, { source });
  }
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  // Byte-for-byte what np.save writes (numpy/lib/format.py `_write_array_header`/`_wrap_header`):
  // spare spaces so the first axis can grow in place, then padding to a 64-byte boundary (a full
  // 64 spaces when already aligned) and a newline.
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  if (shape.length > 0) header += ' '.repeat(Math.max(0, 21 - String(shape[0]).length));
  let major = 1;
  let lenSize = 2;
  const padded = (ls: number) => {
    const hlen = header.length + 1;
    return hlen + 64 - ((8 + ls + hlen) % 64);
  };
  let headerLen = padded(lenSize);
  if (headerLen > 0xffff) {
    major = 2;
    lenSize = 4;
    headerLen = padded(lenSize);
  }
  header = header.padEnd(headerLen - 1, ' ') + '\n';
  const total = 8 + lenSize + headerLen;
  const size = dtype === '|u1' ? 1 : dtype === '<f4' ? 4 : 8;
  const out = new Uint8Array(total + n * size);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (lenSize === 2) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[8 + lenSize + i] = header.charCodeAt(i);
  if (dtype === '|u1') {
    for (let i = 0; i < n; i++) {
      const v = array[i];
      if (!(Number.isInteger(v) && v >= 0 && v <= 255)) {
        throw new InputError(`value ${v} does not fit dtype |u1 (integers 0..255)`, { source, location: `element ${i}` });
      }
      out[total + i] = v;
    }
  } else if (dtype === '<f4') {
    for (let i = 0; i < n; i++) dv.setFloat32(total + i * 4, array[i], true);
  } else {
    for (let i = 0; i < n; i++) dv.setFloat64(total + i * 8, array[i], true);
  }
  return out;
}
