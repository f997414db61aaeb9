import { InputError } from '@skelflow/base';
import { decodeElements, DTYPE_BYTES, type TorchArray, type TorchDtype } from './dtype.js';

/**
 * One storage of a checkpoint (`<archive>/data/<key>`): a flat run of elements that one or more
 * tensors view. Decoded once, on first use.
 */
export class TorchStorage {
  private decoded: TorchArray | undefined;
  constructor(
    /** Element type. */
    readonly dtype: TorchDtype,
    /** The storage's key in the archive (`data/<key>`). */
    readonly key: string,
    /** Device it was saved from (`cpu`, `cuda:0`); data are read the same either way. */
    readonly location: string,
    /** Number of elements. */
    readonly length: number,
    private readonly bytes: Uint8Array,
    private readonly source: string,
  ) {
    if (bytes.length < length * DTYPE_BYTES[dtype]) {
      throw new InputError(`storage holds ${bytes.length} bytes, ${length} ${dtype} elements need ${length * DTYPE_BYTES[dtype]}`, { source, location: `data/${key}` });
    }
  }

  /** All elements, decoded (little-endian, half floats widened to float32). */
  values(): TorchArray {
    this.decoded ??= decodeElements(this.bytes, this.dtype, this.length);
    return this.decoded;
  }
}

/**
 * A tensor of a PyTorch checkpoint: a strided view (`shape`, `strides`, `offset`, in elements)
 * into a {@link TorchStorage}, as `torch._utils._rebuild_tensor_v2` builds it. Views of one
 * storage (a transposed weight, tied parameters) share it; {@link TorchTensor.toArray} gathers a
 * row-major copy.
 */
export class TorchTensor {
  constructor(
    /** The storage this tensor views. */
    readonly storage: TorchStorage,
    /** Offset of element [0, …, 0] in the storage. */
    readonly offset: number,
    /** Size per dimension (`[]` for a 0-d tensor). */
    readonly shape: readonly number[],
    /** Stride per dimension, in elements. */
    readonly strides: readonly number[],
    /** `requires_grad` as saved (true for `nn.Parameter`s). */
    readonly requiresGrad: boolean,
    source: string,
    location: string,
  ) {
    if (shape.length !== strides.length) throw new InputError(`tensor has ${shape.length} sizes but ${strides.length} strides`, { source, location });
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0) || strides.some((s) => !Number.isSafeInteger(s) || s < 0) || !Number.isSafeInteger(offset) || offset < 0) {
      throw new InputError(`bad tensor geometry: sizes [${shape}], strides [${strides}], offset ${offset}`, { source, location });
    }
    if (this.size > 0) {
      const last = offset + shape.reduce((a, d, i) => a + (d - 1) * strides[i]!, 0);
      if (last >= storage.length) {
        throw new InputError(`tensor reaches element ${last} of a storage of ${storage.length} (sizes [${shape}], strides [${strides}], offset ${offset})`, { source, location });
      }
    }
  }

  /** Element type. */
  get dtype(): TorchDtype {
    return this.storage.dtype;
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /**
   * The elements in row-major (C) order, a fresh array of the dtype's type: float32/float16/bfloat16
   * → Float32Array, float64 → Float64Array, int64 → BigInt64Array, int32/int16/int8 → their arrays,
   * uint8 and bool (0/1) → Uint8Array.
   */
  toArray(): TorchArray {
    const all = this.storage.values();
    const n = this.size;
    const ctor = all.constructor as { new (n: number): TorchArray };
    const out = new ctor(n);
    const rank = this.shape.length;
    let contiguous = true;
    for (let d = rank - 1, expect = 1; d >= 0; d--) {
      if (this.shape[d]! !== 1 && this.strides[d] !== expect) contiguous = false;
      expect *= this.shape[d]!;
    }
    if (contiguous) {
      (out as Float64Array).set((all as Float64Array).subarray(this.offset, this.offset + n));
      return out;
    }
    const index = new Array<number>(rank).fill(0);
    let at = this.offset;
    for (let i = 0; i < n; i++) {
      (out as Float64Array)[i] = (all as Float64Array)[at]!;
      // Odometer over the indices, last dimension fastest.
      for (let d = rank - 1; d >= 0; d--) {
        if (++index[d]! < this.shape[d]!) {
          at += this.strides[d]!;
          break;
        }
        at -= (this.shape[d]! - 1) * this.strides[d]!;
        index[d] = 0;
      }
    }
    return out;
  }

  /** The elements in row-major order as float32 (int64 beyond 2²⁴ loses precision, as `tensor.float()` does). */
  toFloat32(): Float32Array {
    const a = this.toArray();
    return a instanceof Float32Array ? a : a instanceof BigInt64Array ? Float32Array.from(a, (v) => Number(v)) : Float32Array.from(a);
  }

  /** The elements in row-major order as float64 (int64 beyond 2⁵³ loses precision). */
  toFloat64(): Float64Array {
    const a = this.toArray();
    return a instanceof BigInt64Array ? Float64Array.from(a, (v) => Number(v)) : Float64Array.from(a);
  }
}
