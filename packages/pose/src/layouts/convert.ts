import { InputError } from '@skelflow/base';

/**
 * Source joint of every OpenPose-18 joint, indexing COCO-17 extended by the neck as joint 17.
 * Copied from STG-NF's `keypoints17_to_coco18` (`dataset.py`).
 */
export const COCO17_TO_OPENPOSE18_ORDER: readonly number[] = Object.freeze([
  0, 17, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3,
]);

/**
 * For each OpenPose-18 joint, the index of its mirror image (left ↔ right; nose and neck map to
 * themselves): {@link COCO17_FLIP} in OpenPose order.
 *
 * @example
 * ```ts
 * OPENPOSE18_FLIP[2]; // 5: right_shoulder ↔ left_shoulder
 * ```
 */
export const OPENPOSE18_FLIP: readonly number[] = Object.freeze([0, 1, 5, 6, 7, 2, 3, 4, 11, 12, 13, 8, 9, 10, 15, 14, 17, 16]);

/** COCO-17 index of the left shoulder (the neck is the mean of both shoulders). */
export const COCO17_LEFT_SHOULDER = 5;
/** COCO-17 index of the right shoulder. */
export const COCO17_RIGHT_SHOULDER = 6;

/** Options of {@link coco17ToOpenPose18} for plain arrays. */
export interface Coco17ArrayOptions {
  /** Values per joint C in the flat `[..., 17, C]` array; default 3 (x, y, confidence). */
  channels?: number;
}

/**
 * Converts COCO-17 keypoints to the OpenPose-18 layout exactly as STG-NF prepares its inputs: a
 * neck is appended as the mean of the two shoulders (every channel, so confidence is averaged
 * too) and the joints are reordered to OpenPose order ({@link COCO17_TO_OPENPOSE18_ORDER}).
 *
 * The layout is a flat row-major `[..., 17, C]`. The differentiable tensor form, with the joints on
 * any axis, is `coco17ToOpenPose18Tensor` in `@skelflow/graph`.
 *
 * References: Hirschorn & Avidan, STG-NF, ICCV 2023 (`keypoints17_to_coco18`, `dataset.py`);
 * Yan et al., ST-GCN, AAAI 2018 (OpenPose layout).
 *
 * @param keypoints - `Float32Array`/number array `[..., 17, C]`.
 * @param options - {@link Coco17ArrayOptions}.
 * The neck mean is computed in float64 and rounded to the output type once. The original computes it
 * from the float64 JSON values before its float32 cast; from float32 input the neck can therefore
 * differ from the original by one float32 ulp (≈6e-5 px at x = 800), far below anything the model
 * resolves.
 *
 * @returns `[..., 18, C]` as a new `Float64Array` for `Float64Array` input, else a `Float32Array`.
 * @throws InputError when the length is not a multiple of 17 joints × C channels.
 * @example
 * ```ts
 * const op = coco17ToOpenPose18(new Float32Array(51), { channels: 3 }); // length 54
 * ```
 */
export function coco17ToOpenPose18(keypoints: Float64Array, options?: Coco17ArrayOptions): Float64Array;
export function coco17ToOpenPose18(keypoints: ArrayLike<number>, options?: Coco17ArrayOptions): Float32Array;
export function coco17ToOpenPose18(keypoints: ArrayLike<number>, options: Coco17ArrayOptions = {}): Float32Array | Float64Array {
  return convertArray(keypoints, options.channels ?? 3);
}

function convertArray(kp: ArrayLike<number>, c: number): Float32Array | Float64Array {
  if (!Number.isInteger(c) || c < 1) throw new InputError(`channels must be a positive integer, got ${c}`, { source: 'coco17ToOpenPose18' });
  if (kp.length % (17 * c) !== 0) {
    throw new InputError(`length ${kp.length} is not a multiple of 17 joints × ${c} channels`, { source: 'coco17ToOpenPose18' });
  }
  const n = kp.length / (17 * c);
  const out = kp instanceof Float64Array ? new Float64Array(n * 18 * c) : new Float32Array(n * 18 * c);
  for (let p = 0; p < n; p++) {
    const src = p * 17 * c;
    const dst = p * 18 * c;
    for (let j = 0; j < 18; j++) {
      const s = COCO17_TO_OPENPOSE18_ORDER[j]!;
      for (let k = 0; k < c; k++) {
        out[dst + j * c + k] = s === 17
          ? (kp[src + COCO17_LEFT_SHOULDER * c + k]! + kp[src + COCO17_RIGHT_SHOULDER * c + k]!) / 2
          : kp[src + s * c + k]!;
      }
    }
  }
  return out;
}
