import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernels registered over the tfjs wasm backend's: `Sum` and `Mean` accumulating in float64,
 * `BatchMatMul` routed to XNNPACK with long inner products accumulated chunk by chunk (both for
 * parity with PyTorch's training steps, see below), and `UnsortedSegmentSum`, which wasm does not
 * ship (gather's gradient in embeddings and codebooks; rare, so it is plain JavaScript on the heap).
 * Registered by name, once, as tfjs does.
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

/** Inner indices per float32 partial product: longer wasm matMuls run chunk by chunk (see `matMulChunked`). */
export const MATMUL_CHUNK = 256;

interface WasmBackendForMatMul extends WasmLikeBackend {
  disposeData(dataId: unknown, force?: boolean): boolean;
}

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
  // XNNPACK's matMul accumulates each output in one float32 pass over the inner index. Long inner
  // products (weight gradients sum over every position of the batch) are where that shows, so
  // those are cut into chunks whose float32 partials are summed in float64; short ones keep the
  // native kernel as is.
  const nativeMatMul = tf.getKernel('BatchMatMul', 'wasm');
  if (nativeMatMul) {
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({
      kernelName: 'BatchMatMul',
      backendName: 'wasm',
      ...(nativeMatMul.setupFunc ? { setupFunc: nativeMatMul.setupFunc } : {}),
      kernelFunc: mark((args) => {
        const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
        const k = a.shape[a.shape.length - (transposeA ? 2 : 1)]!;
        const batched = a.shape.length > 2 && a.shape.slice(0, -2).some((d) => d > 1)
          || b.shape.length > 2 && b.shape.slice(0, -2).some((d) => d > 1);
        // Short products go to the native kernel as they are, except single products with a
        // transposed operand: tfjs-wasm sends only untransposed batch-1 products to XNNPACK and
        // the rest to a generic loop (17× slower for the x·Wᵀ of a linear layer, [6144, 128]·[128, 128]ᵀ),
        // so those are repacked below, which costs a copy of each operand.
        if (k <= MATMUL_CHUNK && (batched || (!transposeA && !transposeB))) return nativeMatMul.kernelFunc(args) as tf.TensorInfo;
        return matMulChunked(args.backend as unknown as WasmBackendForMatMul, nativeMatMul, args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo },
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
        // Copies: makeOutput below may grow (and detach) the heap these are read from.
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
  // Adjacent axes of the same kind (reduced or kept) merge into one: [1280, 2, 24, 18] over
  // {0, 2, 3} is [1280 (reduced), 2 (kept), 432 (reduced)], so the loop below runs over contiguous
  // runs of 432 instead of advancing a four-axis index every 18 values.
  const dims: number[] = [];
  const reduced: boolean[] = [];
  x.shape.forEach((d, i) => {
    if (d === 1) return;
    const r = axes.has(i);
    if (dims.length && reduced[reduced.length - 1] === r) dims[dims.length - 1]! *= d;
    else {
      dims.push(d);
      reduced.push(r);
    }
  });
  if (dims.length === 0) {
    dims.push(1);
    reduced.push(true);
  }
  const n = dims.length;
  // In place on the heap (readSync would copy the whole input out first); the view is used up
  // before makeOutput, whose allocation may grow and detach the heap.
  const xs = be.typedArrayFromHeap(x);
  const acc = new Float64Array(outSize);
  // Output stride of each merged axis (0 for reduced ones), then one pass over the input.
  const ostride = new Array<number>(n).fill(0);
  for (let i = n - 1, s = 1; i >= 0; i--) {
    if (!reduced[i]) {
      ostride[i] = s;
      s *= dims[i]!;
    }
  }
  const inner = dims[n - 1]!;
  const innerStride = ostride[n - 1]!;
  const idx = new Array<number>(Math.max(n - 1, 0)).fill(0);
  let base = 0;
  for (let start = 0; start < xs.length; start += inner) {
    if (innerStride === 0) {
      let s = 0;
      for (let j = 0; j < inner; j++) s += xs[start + j]!;
      acc[base] += s;
    } else {
      for (let j = 0; j < inner; j++) acc[base + j] += xs[start + j]!;
    }
    // Advance the outer multi-index (all merged axes but the last) and its output offset.
    for (let d = n - 2; d >= 0; d--) {
      idx[d]!++;
      base += ostride[d]!;
      if (idx[d]! < dims[d]!) break;
      base -= ostride[d]! * dims[d]!;
      idx[d] = 0;
    }
  }
  const dtype = mean ? 'float32' : x.dtype === 'bool' ? 'int32' : x.dtype;
  const out = be.makeOutput(outShape, dtype);
  const o = be.typedArrayFromHeap(out);
  for (let i = 0; i < outSize; i++) o[i] = mean ? acc[i]! / count : acc[i]!;
  return out;
}

/**
 * A long product as float32 partial products over chunks of {@link MATMUL_CHUNK} inner indices, each
 * computed by the native kernel, summed in float64: `A·B = Σ_c A[:, cC:(c+1)C]·B[cC:(c+1)C, :]`.
 *
 * Rounding: each output's error is at most γ_C·Σ_p|a_p b_p| (γ_C = C·2⁻²⁴/(1 − C·2⁻²⁴)) plus one
 * float32 rounding per chunk partial, whatever k — where one float32 pass has γ_k (6144·2⁻²⁴ ≈ 4e-4
 * for a weight gradient over B·T = 6144 rows). Blocked accumulation like a BLAS's, at the native
 * kernel's speed: the float64 JavaScript loop this replaced ran at ~1 GFLOP/s and held most of a
 * Transformer step. Each chunk is its own batch-1 call because tfjs-wasm runs batch-1 products on
 * XNNPACK and batched ones in a slow generic loop (measured 20× slower for [4, 6144, 32]×[4, 32, 128]).
 * A single product short enough for one chunk is the native product of its operands, each
 * transposed operand repacked first (XNNPACK takes untransposed operands only).
 */
function matMulChunked(
  be: WasmBackendForMatMul,
  native: tf.KernelConfig,
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo },
  attrs: { transposeA: boolean; transposeB: boolean },
): tf.TensorInfo {
  const { a, b } = inputs;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = attrs.transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = attrs.transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = attrs.transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const sizeA = a.shape.reduce((x, y) => x * y, 1);
  const sizeB = b.shape.reduce((x, y) => x * y, 1);
  const batchA = sizeA / (m * k);
  const batchB = sizeB / (k * n);
  const batch = Math.max(batchA, batchB);
  const outShape = [...(batchA >= batchB ? a.shape.slice(0, ra - 2) : b.shape.slice(0, rb - 2)), m, n];
  const C = MATMUL_CHUNK;
  if (batch === 1 && k <= C) {
    // One chunk: the product itself, with each operand repacked only if it is transposed.
    const pa = attrs.transposeA ? transposed(be, a, k, m) : a;
    const pb = attrs.transposeB ? transposed(be, b, n, k) : b;
    const out = native.kernelFunc({
      inputs: { a: reshapedInfo(pa, [m, k]), b: reshapedInfo(pb, [k, n]) },
      attrs: { transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap,
      backend: be as unknown as tf.KernelBackend,
    }) as tf.TensorInfo;
    if (pa !== a) be.disposeData(pa.dataId, true);
    if (pb !== b) be.disposeData(pb.dataId, true);
    return { ...out, shape: outShape };
  }
  const [aRow, aIn] = attrs.transposeA ? [1, m] : [k, 1];
  const [bIn, bCol] = attrs.transposeB ? [1, k] : [n, 1];
  const acc = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    const ao = (batchA === 1 ? 0 : t) * m * k;
    const bo = (batchB === 1 ? 0 : t) * k * n;
    const accOffset = t * m * n;
    for (let p0 = 0; p0 < k; p0 += C) {
      const width = Math.min(C, k - p0);
      const pa = be.makeOutput([m, width], 'float32');
      const pb = be.makeOutput([width, n], 'float32');
      // Views are taken after both allocations: an allocation may grow (and detach) the heap.
      const av = be.typedArrayFromHeap(a);
      const bv = be.typedArrayFromHeap(b);
      const A = be.typedArrayFromHeap(pa);
      const B = be.typedArrayFromHeap(pb);
      for (let i = 0; i < m; i++) {
        const src = ao + i * aRow + p0 * aIn;
        const dst = i * width;
        if (aIn === 1) A.set(av.subarray(src, src + width), dst);
        else for (let q = 0; q < width; q++) A[dst + q] = av[src + q * aIn]!;
      }
      for (let q = 0; q < width; q++) {
        const src = bo + (p0 + q) * bIn;
        const dst = q * n;
        if (bCol === 1) B.set(bv.subarray(src, src + n), dst);
        else for (let j = 0; j < n; j++) B[dst + j] = bv[src + j * bCol]!;
      }
      const partial = native.kernelFunc({
        inputs: { a: pa, b: pb },
        attrs: { transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap,
        backend: be as unknown as tf.KernelBackend,
      }) as tf.TensorInfo;
      const P = be.typedArrayFromHeap(partial);
      for (let e = 0; e < m * n; e++) acc[accOffset + e] += P[e]!;
      be.disposeData(pa.dataId, true);
      be.disposeData(pb.dataId, true);
      be.disposeData(partial.dataId, true);
    }
  }
  const out = be.makeOutput(outShape, 'float32');
  be.typedArrayFromHeap(out).set(acc);
  return out;
}

/** A TensorInfo with another shape over the same data (the native kernel reads shapes from its inputs). */
function reshapedInfo(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

/** A new wasm tensor `[cols, rows]` holding the transpose of the `[rows, cols]` matrix `x`. */
function transposed(be: WasmBackendForMatMul, x: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
  const out = be.makeOutput([cols, rows], 'float32');
  const src = be.typedArrayFromHeap(x);
  const dst = be.typedArrayFromHeap(out);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) dst[j * rows + i] = src[o + j]!;
  }
  return out;
}
