import { InputError } from '@skelflow/base';

// Where each OpenPose-18 joint comes from in COCO-17 + appended neck (index 17).
// `dataset.py` L240-252 `keypoints17_to_coco18`.
const ORDER = [0, 17, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3] as const;

/**
 * Converts COCO-17 keypoints to the 18-joint OpenPose order STG-NF's graph is built for: the neck
 * is appended as the mean of the shoulders (joints 5 and 6, **all channels, confidence included**),
 * then joints are reordered `[0,17,6,8,10,5,7,9,12,14,16,11,13,15,2,1,4,3]`.
 *
 * The mean is computed in float64 and rounded to the output type once. The original computes it
 * from the float64 JSON values before its float32 cast; from float32 input the neck can therefore
 * differ from the original by one float32 ulp (≈6e-5 px at x = 800), far below anything the model
 * resolves.
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `dataset.py` `keypoints17_to_coco18`.
 *
 * @param keypoints `[..., 17, channels]` flattened (C order)
 * @param channels values per joint (3 for x, y, confidence; 2 for x, y)
 * @returns a new array of the same type, `[..., 18, channels]`
 * @throws InputError if the length is not a multiple of `17 · channels`
 *
 * @example
 * ```ts
 * const op18 = toOpenPose18(track.keypoints); // [nFrames, 18, 3]
 * ```
 */
export function toOpenPose18<T extends Float32Array | Float64Array>(keypoints: T, channels = 3): T {
  const inStride = 17 * channels;
  if (!(Number.isInteger(channels) && channels > 0) || keypoints.length % inStride !== 0) {
    throw new InputError(
      `expected [..., 17, ${channels}] keypoints, got ${keypoints.length} values (not a multiple of ${inStride})`,
      { source: 'toOpenPose18' },
    );
  }
  const n = keypoints.length / inStride;
  const outStride = 18 * channels;
  const out = new (keypoints.constructor as { new (n: number): T })(n * outStride);
  for (let p = 0; p < n; p++) {
    const ib = p * inStride;
    const ob = p * outStride;
    for (let j = 0; j < 18; j++) {
      const src = ORDER[j];
      const o = ob + j * channels;
      if (src === 17) {
        const a = ib + 5 * channels;
        const b = ib + 6 * channels;
        for (let c = 0; c < channels; c++) out[o + c] = 0.5 * (keypoints[a + c] + keypoints[b + c]);
      } else {
        const s = ib + src * channels;
        for (let c = 0; c < channels; c++) out[o + c] = keypoints[s + c];
      }
    }
  }
  return out;
}
