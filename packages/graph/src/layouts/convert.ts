import * as tf from '@tensorflow/tfjs-core';
import { InputError, ShapeError } from '@skelflow/core';

/**
 * Source joint of every OpenPose-18 joint, indexing COCO-17 extended by the neck as joint 17.
 * Copied from STG-NF's `keypoints17_to_coco18` (`dataset.py`).
 */
export const COCO17_TO_OPENPOSE18_ORDER: readonly number[] = Object.freeze([
  0, 17, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3,
]);

const L_SHOULDER = 5;
const R_SHOULDER = 6;

/** Options of {@link coco17ToOpenPose18} for plain arrays. */
export interface Coco17ArrayOptions {
  /** Values per joint C in the flat `[..., 17, C]` array; default 3 (x, y, confidence). */
  channels?: number;
}

/** Options of {@link coco17ToOpenPose18} for tensors. */
export interface Coco17TensorOptions {
  /** Axis holding the 17 joints; default -2 (`[..., 17, C]`). Use -1 for `[B, C, T, V]`. */
  jointAxis?: number;
}

/**
 * Converts COCO-17 keypoints to the OpenPose-18 layout exactly as STG-NF prepares its inputs: a
 * neck is appended as the mean of the two shoulders (every channel, so confidence is averaged
 * too) and the joints are reordered to OpenPose order ({@link COCO17_TO_OPENPOSE18_ORDER}).
 *
 * On a plain array the layout is a flat row-major `[..., 17, C]`; on a tensor the joints may sit
 * on any axis. The tensor form is built from slices and a concat rather than `gather`, so it is
 * differentiable on every backend (wasm has no native gather gradient).
 *
 * References: Hirschorn & Avidan, STG-NF, ICCV 2023 (`keypoints17_to_coco18`, `dataset.py`);
 * Yan et al., ST-GCN, AAAI 2018 (OpenPose layout).
 *
 * @param keypoints - `Float32Array`/number array `[..., 17, C]`, or a tensor with 17 joints on
 *   `jointAxis`.
 * @param options - {@link Coco17ArrayOptions} / {@link Coco17TensorOptions}.
 * @returns `[..., 18, C]` as a new `Float32Array`, or a tensor with 18 joints on the same axis.
 * @throws ShapeError / InputError when the joint count is not 17.
 * @example
 * ```ts
 * const op = coco17ToOpenPose18(new Float32Array(51), { channels: 3 }); // length 54
 * const t = coco17ToOpenPose18(tf.zeros([8, 2, 24, 17]), { jointAxis: -1 }); // [8, 2, 24, 18]
 * ```
 */
export function coco17ToOpenPose18(keypoints: tf.Tensor, options?: Coco17TensorOptions): tf.Tensor;
export function coco17ToOpenPose18(keypoints: ArrayLike<number>, options?: Coco17ArrayOptions): Float32Array;
export function coco17ToOpenPose18(
  keypoints: tf.Tensor | ArrayLike<number>,
  options: Coco17TensorOptions & Coco17ArrayOptions = {},
): tf.Tensor | Float32Array {
  if (keypoints instanceof tf.Tensor) return convertTensor(keypoints, options.jointAxis ?? -2);
  return convertArray(keypoints, options.channels ?? 3);
}

function convertArray(kp: ArrayLike<number>, c: number): Float32Array {
  if (!Number.isInteger(c) || c < 1) throw new InputError(`channels must be a positive integer, got ${c}`, { source: 'coco17ToOpenPose18' });
  if (kp.length % (17 * c) !== 0) {
    throw new InputError(`length ${kp.length} is not a multiple of 17 joints × ${c} channels`, { source: 'coco17ToOpenPose18' });
  }
  const n = kp.length / (17 * c);
  const out = new Float32Array(n * 18 * c);
  for (let p = 0; p < n; p++) {
    const src = p * 17 * c;
    const dst = p * 18 * c;
    for (let j = 0; j < 18; j++) {
      const s = COCO17_TO_OPENPOSE18_ORDER[j]!;
      for (let k = 0; k < c; k++) {
        out[dst + j * c + k] = s === 17
          ? (kp[src + L_SHOULDER * c + k]! + kp[src + R_SHOULDER * c + k]!) / 2
          : kp[src + s * c + k]!;
      }
    }
  }
  return out;
}

function convertTensor(x: tf.Tensor, jointAxis: number): tf.Tensor {
  const axis = jointAxis < 0 ? x.rank + jointAxis : jointAxis;
  if (axis < 0 || axis >= x.rank || x.shape[axis] !== 17) {
    throw new ShapeError(`expected 17 joints on axis ${jointAxis}, got shape [${x.shape}]`, { source: 'coco17ToOpenPose18' });
  }
  return tf.tidy(() => {
    const joint = (j: number) => {
      const begin = x.shape.map((_, i) => (i === axis ? j : 0));
      const size = x.shape.map((d, i) => (i === axis ? 1 : d));
      return tf.slice(x, begin, size);
    };
    const neck = tf.div(tf.add(joint(L_SHOULDER), joint(R_SHOULDER)), 2);
    return tf.concat(COCO17_TO_OPENPOSE18_ORDER.map((s) => (s === 17 ? neck : joint(s))), axis);
  });
}
