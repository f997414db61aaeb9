/**
 * Per-frame joint standardisation of segments `[N, C, T, V]` (NFlowAD §5.1, model card §4.1): in
 * every frame each channel is centred on its mean over the joints, and the frame is divided by the
 * standard deviation of all its centred coordinates (one scale for every channel, so the pose's
 * aspect ratio is kept; a frame whose spread is below 1e-6 is only centred). Returns a new array.
 *
 * @example
 * ```ts
 * standardiseFrames(Float32Array.from([0, 2, 0, 0]), 1, 1, 1, 4); // [-0.57735, 1.73205, -0.57735, -0.57735]
 * ```
 */
export function standardiseFrames(data: Float32Array, n: number, channels: number, segLen: number, joints: number): Float32Array {
  const out = new Float32Array(data.length);
  const means = new Float64Array(channels);
  for (let s = 0; s < n; s++) {
    const base = s * channels * segLen * joints;
    for (let t = 0; t < segLen; t++) {
      let ss = 0;
      for (let c = 0; c < channels; c++) {
        const o = base + (c * segLen + t) * joints;
        let m = 0;
        for (let j = 0; j < joints; j++) m += data[o + j]!;
        m /= joints;
        means[c] = m;
        for (let j = 0; j < joints; j++) ss += (data[o + j]! - m) ** 2;
      }
      const sd = Math.sqrt(ss / (channels * joints));
      const scale = sd > 1e-6 ? 1 / sd : 1;
      for (let c = 0; c < channels; c++) {
        const o = base + (c * segLen + t) * joints;
        for (let j = 0; j < joints; j++) out[o + j] = (data[o + j]! - means[c]!) * scale;
      }
    }
  }
  return out;
}

/**
 * Dataset-level standardisation statistics (NFlowAD §3): per (channel, joint) mean and standard
 * deviation over every frame of the training segments `[N, C, T, V]`, `[C·V]` each (a standard
 * deviation below 1e-6 becomes 1).
 */
export function datasetStats(data: Float32Array, n: number, channels: number, segLen: number, joints: number): { mean: Float32Array; std: Float32Array } {
  const cv = channels * joints;
  const sum = new Float64Array(cv);
  const sq = new Float64Array(cv);
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < channels; c++) {
      for (let t = 0; t < segLen; t++) {
        const o = ((s * channels + c) * segLen + t) * joints;
        for (let j = 0; j < joints; j++) {
          const v = data[o + j]!;
          sum[c * joints + j] += v;
          sq[c * joints + j] += v * v;
        }
      }
    }
  }
  const count = n * segLen;
  const mean = new Float32Array(cv);
  const std = new Float32Array(cv);
  for (let k = 0; k < cv; k++) {
    const m = sum[k]! / count;
    const sd = Math.sqrt(Math.max(0, sq[k]! / count - m * m));
    mean[k] = m;
    std[k] = sd > 1e-6 ? sd : 1;
  }
  return { mean, std };
}

/** Segments `[N, C, T, V]` standardised with per-(channel, joint) `mean`, `std` `[C·V]`. Returns a new array. */
export function standardiseDataset(data: Float32Array, n: number, channels: number, segLen: number, joints: number, mean: ArrayLike<number>, std: ArrayLike<number>): Float32Array {
  const out = new Float32Array(data.length);
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < channels; c++) {
      for (let t = 0; t < segLen; t++) {
        const o = ((s * channels + c) * segLen + t) * joints;
        for (let j = 0; j < joints; j++) out[o + j] = (data[o + j]! - mean[c * joints + j]!) / std[c * joints + j]!;
      }
    }
  }
  return out;
}
