import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernels the tfjs wasm backend does not ship but that training needs. They run in JavaScript on
 * the wasm heap: these ops are rare in our models (gather's gradient in embeddings and codebooks),
 * so correctness matters more than speed here. Registered by name, once, as tfjs does.
 */
interface WasmLikeBackend {
  readSync(dataId: unknown): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * Marks our kernel functions. The kernel registry lives in tfjs-core and outlives this module
 * (a test runner may re-evaluate our code against the same tfjs instance), so whether the
 * replacements are installed is read from the registry, not from a module variable.
 */
const MARK = Symbol.for('skelflow.wasmKernel');
type Marked = tf.KernelFunc & { [MARK]?: true };
const mark = (f: tf.KernelFunc): tf.KernelFunc => Object.assign(f, { [MARK]: true as const });
const isOurs = (name: string) => !!(tf.getKernel(name, 'wasm')?.kernelFunc as Marked | undefined)?.[MARK];

/** Inner-product length from which wasm matMuls accumulate in float64. */
export const LONG_INNER_PRODUCT = 64;

/** Registers the missing wasm kernels (idempotent). Called by `initBackend('wasm')`. */
export function registerWasmKernels(): void {
  if (isOurs('Sum')) return;
  // wasm's Sum and Mean accumulate in float32, one pass: summing n values loses ~n·2⁻²⁴ relative
  // accuracy (1e-3 for a BatchNorm gradient over 14k elements), enough to move training steps
  // away from PyTorch's and from tfjs-cpu's, which both accumulate in double. These replacements
  // accumulate in float64.
  for (const name of ['Sum', 'Mean'] as const) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: mark((args) => {
        const be = args.backend as unknown as WasmLikeBackend;
        const { x } = args.inputs as { x: tf.TensorInfo };
        const { axis, keepDims } = args.attrs as unknown as { axis: number | number[] | null; keepDims: boolean };
        return reduceFloat64(be, x, axis, keepDims, name === 'Mean');
      }),
    });
  }
  // XNNPACK's matMul also accumulates in float32. Long inner products (weight gradients sum over
  // every position of the batch) are where that shows, so those run with float64 accumulation;
  // short ones, all of a forward pass, keep the native kernel.
  const nativeMatMul = tf.getKernel('BatchMatMul', 'wasm');
  if (nativeMatMul) {
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({
      kernelName: 'BatchMatMul',
      backendName: 'wasm',
      ...(nativeMatMul.setupFunc ? { setupFunc: nativeMatMul.setupFunc } : {}),
      kernelFunc: mark((args) => {
        const { a } = args.inputs as { a: tf.TensorInfo };
        const { transposeA } = args.attrs as unknown as { transposeA: boolean };
        const k = a.shape[a.shape.length - (transposeA ? 2 : 1)]!;
        if (k < LONG_INNER_PRODUCT) return nativeMatMul.kernelFunc(args) as tf.TensorInfo;
        return matMulFloat64(args.backend as unknown as WasmLikeBackend, args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo },
          args.attrs as unknown as { transposeA: boolean; transposeB: boolean });
      }),
    });
  }
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const be = backend as unknown as WasmLikeBackend;
        const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
        const numSegments = (attrs as { numSegments: number }).numSegments;
        const xs = be.readSync(x.dataId);
        const ids = be.readSync(segmentIds.dataId);
        const inner = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
        const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
        const out = be.makeOutput(outShape, x.dtype);
        const o = be.typedArrayFromHeap(out);
        o.fill(0);
        for (let i = 0; i < ids.length; i++) {
          const s = ids[i]!;
          if (s < 0 || s >= numSegments) continue;
          const src = i * inner;
          const dst = s * inner;
          for (let j = 0; j < inner; j++) o[dst + j]! += xs[src + j]!;
        }
        return out;
      },
    });
  }
}

function reduceFloat64(
  be: WasmLikeBackend,
  x: tf.TensorInfo,
  axis: number | number[] | null | undefined,
  keepDims: boolean,
  mean: boolean,
): tf.TensorInfo {
  const rank = x.shape.length;
  // tfjs passes the user's axis unparsed: null/undefined means every axis.
  const list = axis === null || axis === undefined ? x.shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis];
  const axes = new Set(list.map((a) => (a < 0 ? a + rank : a)));
  const outShapeKeep = x.shape.map((d, i) => (axes.has(i) ? 1 : d));
  const outShape = keepDims ? outShapeKeep : x.shape.filter((_, i) => !axes.has(i));
  const outSize = outShapeKeep.reduce((a, b) => a * b, 1);
  const count = x.shape.reduce((a, d, i) => (axes.has(i) ? a * d : a), 1);
  const xs = be.readSync(x.dataId);
  const acc = new Float64Array(outSize);
  // Output stride of each input axis (0 for reduced axes), then one pass over the input.
  const ostride = new Array<number>(rank).fill(0);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    if (!axes.has(i)) {
      ostride[i] = s;
      s *= x.shape[i]!;
    }
  }
  const inner = x.shape[rank - 1] ?? 1;
  const innerStride = rank ? ostride[rank - 1]! : 0;
  const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let base = 0;
  for (let start = 0; start < xs.length; start += inner) {
    if (innerStride === 0) {
      let s = 0;
      for (let j = 0; j < inner; j++) s += xs[start + j]!;
      acc[base] += s;
    } else {
      for (let j = 0; j < inner; j++) acc[base + j * innerStride] += xs[start + j]!;
    }
    // Advance the outer multi-index (all axes but the last) and its output offset.
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      base += ostride[d]!;
      if (idx[d]! < x.shape[d]!) break;
      base -= ostride[d]! * x.shape[d]!;
      idx[d] = 0;
    }
  }
  const dtype = mean ? 'float32' : x.dtype === 'bool' ? 'int32' : x.dtype;
  const out = be.makeOutput(outShape, dtype);
  const o = be.typedArrayFromHeap(out);
  for (let i = 0; i < outSize; i++) o[i] = mean ? acc[i]! / count : acc[i]!;
  return out;
}

function matMulFloat64(
  be: WasmLikeBackend,
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo },
  attrs: { transposeA: boolean; transposeB: boolean },
): tf.TensorInfo {
  const { a, b } = inputs;
  const av = be.readSync(a.dataId);
  const bv = be.readSync(b.dataId);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = attrs.transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = attrs.transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = attrs.transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const batchA = av.length / (m * k);
  const batchB = bv.length / (k * n);
  const batch = Math.max(batchA, batchB);
  const outShape = [...(batchA >= batchB ? a.shape.slice(0, ra - 2) : b.shape.slice(0, rb - 2)), m, n];
  const out = be.makeOutput(outShape, 'float32');
  const o = be.typedArrayFromHeap(out);
  // A is read through its strides (each entry once per output row); B is packed per batch into a
  // contiguous [k, n] copy, so the inner loop runs over consecutive columns whatever transposeB
  // says (a strided B made the Linear layers' x·Wᵀ ~10× slower). Four rows of A share each load of
  // B. Every output still sums its k products in order p = 0…k−1 in float64: the same numbers as a
  // plain triple loop.
  const [aRow, aIn] = attrs.transposeA ? [1, m] : [k, 1];
  const [bIn, bCol] = attrs.transposeB ? [1, k] : [n, 1];
  const packed = new Float64Array(k * n);
  const r0 = new Float64Array(n);
  const r1 = new Float64Array(n);
  const r2 = new Float64Array(n);
  const r3 = new Float64Array(n);
  let packedFor = -1;
  for (let t = 0; t < batch; t++) {
    const ao = (batchA === 1 ? 0 : t) * m * k;
    const bo = (batchB === 1 ? 0 : t) * k * n;
    if (packedFor !== bo) {
      for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) packed[p * n + j] = bv[bo + p * bIn + j * bCol]!;
      packedFor = bo;
    }
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      r0.fill(0);
      r1.fill(0);
      r2.fill(0);
      r3.fill(0);
      const a0 = ao + i * aRow;
      for (let p = 0; p < k; p++) {
        const ap = a0 + p * aIn;
        const x0 = av[ap]!;
        const x1 = av[ap + aRow]!;
        const x2 = av[ap + 2 * aRow]!;
        const x3 = av[ap + 3 * aRow]!;
        const pb = p * n;
        for (let j = 0; j < n; j++) {
          const y = packed[pb + j]!;
          r0[j] += x0 * y;
          r1[j] += x1 * y;
          r2[j] += x2 * y;
          r3[j] += x3 * y;
        }
      }
      const oo = t * m * n + i * n;
      o.set(r0, oo);
      o.set(r1, oo + n);
      o.set(r2, oo + 2 * n);
      o.set(r3, oo + 3 * n);
    }
    for (; i < m; i++) {
      r0.fill(0);
      for (let p = 0; p < k; p++) {
        const x = av[ao + i * aRow + p * aIn]!;
        const pb = p * n;
        for (let j = 0; j < n; j++) r0[j] += x * packed[pb + j]!;
      }
      o.set(r0, t * m * n + i * n);
    }
  }
  return out;
}

