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
  // Both operands are packed per batch into float64 rows contiguous over the inner index p
  // (A as [m, k], B as [n, k]), whatever the transposes, and the product is computed in 4×4 output
  // tiles held in locals: 8 loads per 16 multiply-adds (a plain loop over a strided B was ~5× slower
  // on the Transformer's x·Wᵀ). Every output still sums its k products in order p = 0…k−1 in
  // float64: the same numbers as a plain triple loop.
  const [aRow, aIn] = attrs.transposeA ? [1, m] : [k, 1];
  const [bIn, bCol] = attrs.transposeB ? [1, k] : [n, 1];
  const A = new Float64Array(m * k);
  const Bt = new Float64Array(n * k);
  let packedA = -1;
  let packedB = -1;
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  const dot = (ar: number, bc: number): number => {
    let acc = 0;
    for (let p = 0; p < k; p++) acc += A[ar + p]! * Bt[bc + p]!;
    return acc;
  };
  for (let t = 0; t < batch; t++) {
    const ao = (batchA === 1 ? 0 : t) * m * k;
    const bo = (batchB === 1 ? 0 : t) * k * n;
    if (packedA !== ao) {
      for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) A[i * k + p] = av[ao + i * aRow + p * aIn]!;
      packedA = ao;
    }
    if (packedB !== bo) {
      for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) Bt[j * k + p] = bv[bo + p * bIn + j * bCol]!;
      packedB = bo;
    }
    const oo = t * m * n;
    for (let i = 0; i < m4; i += 4) {
      const a0 = i * k;
      const a1 = a0 + k;
      const a2 = a1 + k;
      const a3 = a2 + k;
      for (let j = 0; j < n4; j += 4) {
        const b0 = j * k;
        const b1 = b0 + k;
        const b2 = b1 + k;
        const b3 = b2 + k;
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let p = 0; p < k; p++) {
          const x0 = A[a0 + p]!;
          const x1 = A[a1 + p]!;
          const x2 = A[a2 + p]!;
          const x3 = A[a3 + p]!;
          const y0 = Bt[b0 + p]!;
          const y1 = Bt[b1 + p]!;
          const y2 = Bt[b2 + p]!;
          const y3 = Bt[b3 + p]!;
          c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
          c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
          c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
          c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
        }
        let q = oo + i * n + j;
        o[q] = c00; o[q + 1] = c01; o[q + 2] = c02; o[q + 3] = c03;
        q += n;
        o[q] = c10; o[q + 1] = c11; o[q + 2] = c12; o[q + 3] = c13;
        q += n;
        o[q] = c20; o[q + 1] = c21; o[q + 2] = c22; o[q + 3] = c23;
        q += n;
        o[q] = c30; o[q + 1] = c31; o[q + 2] = c32; o[q + 3] = c33;
      }
      for (let j = n4; j < n; j++) for (let r = 0; r < 4; r++) o[oo + (i + r) * n + j] = dot((i + r) * k, j * k);
    }
    for (let i = m4; i < m; i++) for (let j = 0; j < n; j++) o[oo + i * n + j] = dot(i * k, j * k);
  }
  return out;
}

