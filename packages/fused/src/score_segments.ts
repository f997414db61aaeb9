import * as tf from '@tensorflow/tfjs-core';
import { InputError, ShapeError } from '@skelflow/base';
import type { Module } from '@skelflow/core';
import type { FusedFlow } from './fused_flow.js';
import type { LazyFusedFlow } from './lazy_fused_flow.js';

/** Which engine scores segments: `'auto'` is the fused engine when the flow has one, else tensors. */
export type SegmentEngine = 'auto' | 'fused' | 'tfjs';

/** Options of {@link scoreFlowSegments} (and of the flow models' `scoreSegments`). */
export interface ScoreFlowSegmentsOptions {
  /** Segments per tensor batch (tfjs engine; default 1024) or per progress report (fused engine; default 8192). */
  batchSize?: number;
  /** `'auto'` (default): the fused engine when the model has one, else tensors. */
  engine?: SegmentEngine;
  /** Worker threads of the fused engine besides the caller; default: cores − 1 (Node). */
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

/** What {@link scoreFlowSegments} scores with. */
export interface FlowSegmentScorer {
  /** Named in errors, e.g. `'StgNf.scoreSegments'`. */
  source: string;
  /** One segment's shape `[C, T, V]`. */
  segmentShape: readonly [number, number, number];
  /** Switched to eval mode while scoring on tensors; its mode is restored after. */
  module: Module;
  /** NLL in bits per dimension `[B]` of segments `[B, C, T, V]` (tensor engine). */
  nll(x: tf.Tensor4D): tf.Tensor;
  /** The model's flow on the fused engine. */
  fused: LazyFusedFlow;
}

/**
 * The number of segments in a flat float32 `[N, C, T, V]`, or a {@link ShapeError} naming `source`
 * when its length is not a multiple of C·T·V.
 */
export function segmentCount(data: Float32Array, segmentShape: readonly [number, number, number], source: string): number {
  const [c, t, v] = segmentShape;
  const per = c * t * v;
  if (data.length % per !== 0) {
    throw new ShapeError(`segment data of length ${data.length} is not a multiple of ${c}·${t}·${v}`, { source });
  }
  return data.length / per;
}

/**
 * The fused flow to score `n` segments with under `engine`: `null` for `'tfjs'`, for `n = 0` or
 * (with `'auto'`) when the flow has no fused form; an {@link InputError} naming `source` when
 * `'fused'` was asked for and the flow has none.
 */
export function fusedForEngine(engine: SegmentEngine, n: number, fused: LazyFusedFlow, source: string): FusedFlow | null {
  if (engine === 'tfjs' || n === 0) return null;
  const f = fused.get();
  if (!f && engine === 'fused') throw new InputError(`this model has no fused engine: ${fused.reason}`, { source, location: 'engine' });
  return f;
}

/**
 * Normality scores (−NLL bits/dim, higher = more normal) of segments given as a flat float32
 * `[N, C, T, V]`. On the fused engine (and its worker threads) when the flow has one and `engine`
 * allows, in steps of `batchSize` when progress is reported; else on tensors in batches of
 * `batchSize` in eval mode, the module's train/eval mode restored after. The two agree to float32
 * rounding. The body of STG-NF's and DSNF's `scoreSegments`.
 */
export function scoreFlowSegments(data: Float32Array, scorer: FlowSegmentScorer, options: ScoreFlowSegmentsOptions = {}): Float32Array {
  const [c, t, v] = scorer.segmentShape;
  const per = c * t * v;
  const n = segmentCount(data, scorer.segmentShape, scorer.source);
  const out = new Float32Array(n);
  const fused = fusedForEngine(options.engine ?? 'auto', n, scorer.fused, scorer.source);
  if (fused) {
    const step = options.onProgress ? Math.max(1, options.batchSize ?? 8192) : n;
    for (let s = 0; s < n; s += step) {
      const e = Math.min(n, s + step);
      const nll = fused.nllBitsPerDim(data.subarray(s * per, e * per), options.threads === undefined ? {} : { threads: options.threads });
      for (let i = 0; i < nll.length; i++) out[s + i] = -nll[i]!;
      options.onProgress?.(e, n);
    }
    return out;
  }
  const batch = options.batchSize ?? 1024;
  const wasTraining = scorer.module.training;
  scorer.module.eval();
  try {
    for (let s = 0; s < n; s += batch) {
      const e = Math.min(n, s + batch);
      const nll = tf.tidy(() => scorer.nll(tf.tensor4d(data.subarray(s * per, e * per), [e - s, c, t, v])));
      const vals = nll.dataSync();
      nll.dispose();
      for (let i = 0; i < vals.length; i++) out[s + i] = -vals[i]!;
      options.onProgress?.(e, n);
    }
  } finally {
    scorer.module.train(wasTraining);
  }
  return out;
}
