import * as tf from '@tensorflow/tfjs-core';

/**
 * Data-movement kernels for the wasm backend that do not copy what they need not.
 *
 * Identity shares the input's buffer (reference-counted, as tfjs-cpu's Identity and tfjs-wasm's own
 * Reshape do): tfjs-wasm 4.22 copies it, and the engine runs Identity on every tensor it saves for
 * the backward pass (`saveTensorsForBackwardMode` clones them), ~2,000 times per DSNF training step.
 * Nothing writes into an existing buffer (kernels write only into outputs they allocate), so
 * sharing is safe.
 *
 * Slice, SplitV and Unpack read their input in place. tfjs-wasm's own
 * (4.22) read it with `readSync`, which copies the *whole* input out of the wasm heap for every
 * slice taken: splitting a `[1280, 8, 864]` tensor into its 8 steps copies 35 MB eight times
 * (≈ 40 ms per slice, measured), and every coupling's channel split pays the same. These take a
 * view of the heap after the output is allocated (allocation may grow the heap and detach older
 * views) and copy only the sliced part, block by contiguous block. Same results, bit for bit;
 * strings are left to the original kernels.
 */
interface WasmHeapBackend {
  incRef(dataId: unknown): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

const MARK = Symbol.for('skelflow.wasmDataMovementKernel');
type Marked = tf.KernelFunc & { [MARK]?: true };
const mark = (f: tf.KernelFunc): tf.KernelFunc => Object.assign(f, { [MARK]: true as const });

/**
 * Copies `x[begin : begin + size]` (row-major) into `out`. The innermost axes that are taken whole
 * form one contiguous block with the first partial axis, so the copy is one `set` per block.
 */
export function sliceInto(
  x: Float32Array | Int32Array | Uint8Array,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  out: Float32Array | Int32Array | Uint8Array,
): void {
  const rank = shape.length;
  const total = size.reduce((a, b) => a * b, 1);
  if (total === 0) return;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let k = rank - 2; k >= 0; k--) strides[k] = strides[k + 1]! * shape[k + 1]!;
  let j = rank - 1;
  while (j > 0 && begin[j] === 0 && size[j] === shape[j]) j--;
  const block = size[j]! * strides[j]!;
  const idx = new Array<number>(j).fill(0);
  for (let o = 0; o < total; o += block) {
    let off = begin[j]! * strides[j]!;
    for (let k = 0; k < j; k++) off += (begin[k]! + idx[k]!) * strides[k]!;
    if (block >= 16) out.set(x.subarray(off, off + block), o);
    else for (let e = 0; e < block; e++) out[o + e] = x[off + e]!;
    for (let k = j - 1; k >= 0; k--) {
      if (++idx[k]! < size[k]!) break;
      idx[k] = 0;
    }
  }
}

function sliceWasm(be: WasmHeapBackend, x: tf.TensorInfo, begin: readonly number[], size: readonly number[]): tf.TensorInfo {
  const out = be.makeOutput([...size], x.dtype);
  sliceInto(be.typedArrayFromHeap(x), x.shape, begin, size, be.typedArrayFromHeap(out));
  return out;
}

const NAMES = ['Identity', 'Slice', 'SplitV', 'Unpack'] as const;

/** Registers the four kernels on the wasm backend (idempotent; the originals still serve strings). */
export function registerWasmDataMovementKernels(): void {
  if ((tf.getKernel('Slice', 'wasm')?.kernelFunc as Marked | undefined)?.[MARK]) return;
  const original = Object.fromEntries(NAMES.map((n) => [n, tf.getKernel(n, 'wasm')]));
  if (NAMES.some((n) => !original[n])) return;
  const register = (name: (typeof NAMES)[number], f: tf.KernelFunc) => {
    const prev = original[name]!;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      ...(prev.setupFunc ? { setupFunc: prev.setupFunc } : {}),
      kernelFunc: mark((args) => {
        const { x, value } = args.inputs as { x?: tf.TensorInfo; value?: tf.TensorInfo };
        if ((x ?? value)!.dtype === 'string') return prev.kernelFunc(args);
        return f(args);
      }),
    });
  };
  register('Identity', (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    (args.backend as unknown as WasmHeapBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
  register('Slice', (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    return sliceWasm(args.backend as unknown as WasmHeapBackend, x, b, s);
  });
  register('SplitV', (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const size = [...x.shape];
      size[ax] = n;
      const out = sliceWasm(args.backend as unknown as WasmHeapBackend, x, begin, size);
      begin[ax]! += n;
      return out;
    });
  });
  register('Unpack', (args) => {
    const { value } = args.inputs as { value: tf.TensorInfo };
    let { axis } = args.attrs as unknown as { axis: number };
    if (axis < 0) axis += value.shape.length;
    const outShape = value.shape.filter((_, i) => i !== axis);
    const begin = new Array<number>(value.shape.length).fill(0);
    const size = [...value.shape];
    size[axis] = 1;
    return Array.from({ length: value.shape[axis]! }, (_, i) => {
      begin[axis] = i;
      const out = sliceWasm(args.backend as unknown as WasmHeapBackend, value, begin, size);
      return { dataId: out.dataId, dtype: out.dtype, shape: outShape };
    });
  });
}
