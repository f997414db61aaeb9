/** A tensor element type as PyTorch names it (`torch.float32` → `float32`). */
export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<TorchDtype, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/**
 * The legacy storage classes `torch.save` names in a checkpoint's pickle (`torch.FloatStorage`…)
 * and the dtype each holds. Complex and quantised storages are not in the table and are refused.
 */
export const STORAGE_DTYPES: Readonly<Record<string, TorchDtype>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** The typed array a dtype's values are returned in (half floats widen to float32, bool is 0/1 bytes). */
export type TorchArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** IEEE 754 binary16 → number. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes `n` little-endian elements of `dtype` from `bytes` (any alignment, any host byte order).
 */
export function decodeElements(bytes: Uint8Array, dtype: TorchDtype, n: number): TorchArray {
  const size = DTYPE_BYTES[dtype];
  // Copy into an aligned buffer; on a little-endian host the typed array then reads it directly.
  const copy = new Uint8Array(n * size);
  copy.set(bytes.subarray(0, n * size));
  const view = new DataView(copy.buffer);
  switch (dtype) {
    case 'float32':
      return LITTLE_ENDIAN ? new Float32Array(copy.buffer) : Float32Array.from({ length: n }, (_, i) => view.getFloat32(4 * i, true));
    case 'float64':
      return LITTLE_ENDIAN ? new Float64Array(copy.buffer) : Float64Array.from({ length: n }, (_, i) => view.getFloat64(8 * i, true));
    case 'int64':
      return LITTLE_ENDIAN ? new BigInt64Array(copy.buffer) : BigInt64Array.from({ length: n }, (_, i) => view.getBigInt64(8 * i, true));
    case 'int32':
      return LITTLE_ENDIAN ? new Int32Array(copy.buffer) : Int32Array.from({ length: n }, (_, i) => view.getInt32(4 * i, true));
    case 'int16':
      return LITTLE_ENDIAN ? new Int16Array(copy.buffer) : Int16Array.from({ length: n }, (_, i) => view.getInt16(2 * i, true));
    case 'int8':
      return new Int8Array(copy.buffer);
    case 'uint8':
    case 'bool':
      return copy;
    case 'float16':
      return Float32Array.from({ length: n }, (_, i) => halfToNumber(view.getUint16(2 * i, true)));
    case 'bfloat16': {
      // bfloat16 is the upper half of a float32.
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
  }
}
