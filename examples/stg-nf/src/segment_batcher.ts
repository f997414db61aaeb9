import * as tf from '@tensorflow/tfjs-core';
import type { FusedTraining } from '@skelflow/core';
import type { FusedFlow } from '@skelflow/fused';

/** Gathers shuffled batches of `[C, T, V]` segments (and their ±1 labels) for a training loop. */
export interface SegmentBatcher {
  /** The batch `idx` as tensors: `x` `[b, C, T, V]` float32, `y` `[b]` (only with labels). The caller disposes them. */
  tensors(idx: ArrayLike<number>): { x: tf.Tensor4D; y: tf.Tensor1D | undefined };
  /** The batch `idx` as float64 views for a fused engine (valid until the next call). */
  flat(idx: ArrayLike<number>): { x: Float64Array; labels: Float64Array | undefined };
  /** `trainLoop`'s fused path on `engine` with these batches (null without an engine). */
  fusedTraining(engine: FusedFlow | null): FusedTraining | null;
}

/**
 * A {@link SegmentBatcher} over `data` (`[N, C, T, V]` float32) and optional `labels` (`[N]`),
 * with buffers for batches of up to `batchSize` segments, reused from batch to batch. Shared by
 * STG-NF's and DSNF's training (both feed `@skelflow/core`'s `trainLoop` the same batches).
 */
export function segmentBatcher(
  data: Float32Array,
  labels: Int8Array | undefined,
  shape: { channels: number; segLen: number; joints: number },
  batchSize: number,
): SegmentBatcher {
  const { channels, segLen, joints } = shape;
  const per = channels * segLen * joints;
  const batchBuf = new Float32Array(batchSize * per);
  const labelBuf = new Float32Array(batchSize);
  const flatBuf = new Float64Array(batchSize * per);
  const flatLabels = new Float64Array(batchSize);
  const flat = (idx: ArrayLike<number>): { x: Float64Array; labels: Float64Array | undefined } => {
    const b = idx.length;
    for (let k = 0; k < b; k++) {
      flatBuf.set(data.subarray(idx[k]! * per, (idx[k]! + 1) * per), k * per);
      if (labels) flatLabels[k] = labels[idx[k]!]!;
    }
    return { x: flatBuf.subarray(0, b * per), labels: labels ? flatLabels.subarray(0, b) : undefined };
  };
  return {
    tensors: (idx) => {
      const b = idx.length;
      for (let i = 0; i < b; i++) {
        batchBuf.set(data.subarray(idx[i]! * per, (idx[i]! + 1) * per), i * per);
        if (labels) labelBuf[i] = labels[idx[i]!]!;
      }
      const x = tf.tensor4d(batchBuf.subarray(0, b * per), [b, channels, segLen, joints]);
      const y = labels ? tf.tensor1d(labelBuf.subarray(0, b)) : undefined;
      return { x, y };
    },
    flat,
    fusedTraining(engine) {
      if (!engine) return null;
      return {
        engine,
        lossAndGrad: (idx) => {
          const batch = flat(idx);
          return engine.lossAndGrad(batch.x, batch.labels);
        },
      };
    },
  };
}
