import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@skelflow/base';
import { COCO17_LEFT_SHOULDER, COCO17_RIGHT_SHOULDER, COCO17_TO_OPENPOSE18_ORDER } from '@skelflow/pose';

/** Options of {@link coco17ToOpenPose18Tensor}. */
export interface Coco17TensorOptions {
  /** Axis holding the 17 joints; default -2 (`[..., 17, C]`). Use -1 for `[B, C, T, V]`. */
  jointAxis?: number;
}

/**
 * The tensor form of `coco17ToOpenPose18` (`@skelflow/pose`): appends the neck as the mean of the
 * two shoulders and reorders to OpenPose-18, with the 17 joints on any axis. Built from slices and a
 * concat rather than `gather`, so it is differentiable on every backend (wasm has no native gather
 * gradient).
 *
 * References: Hirschorn & Avidan, STG-NF, ICCV 2023 (`keypoints17_to_coco18`, `dataset.py`).
 *
 * @param x - a tensor with 17 joints on `jointAxis`.
 * @returns a tensor with 18 joints on the same axis.
 * @throws ShapeError when that axis does not hold 17 joints.
 * @example
 * ```ts
 * const t = coco17ToOpenPose18Tensor(tf.zeros([8, 2, 24, 17]), { jointAxis: -1 }); // [8, 2, 24, 18]
 * ```
 */
export function coco17ToOpenPose18Tensor(x: tf.Tensor, options: Coco17TensorOptions = {}): tf.Tensor {
  const jointAxis = options.jointAxis ?? -2;
  const axis = jointAxis < 0 ? x.rank + jointAxis : jointAxis;
  if (axis < 0 || axis >= x.rank || x.shape[axis] !== 17) {
    throw new ShapeError(`expected 17 joints on axis ${jointAxis}, got shape [${x.shape}]`, { source: 'coco17ToOpenPose18Tensor' });
  }
  return tf.tidy(() => {
    const joint = (j: number) => {
      const begin = x.shape.map((_, i) => (i === axis ? j : 0));
      const size = x.shape.map((d, i) => (i === axis ? 1 : d));
      return tf.slice(x, begin, size);
    };
    const neck = tf.div(tf.add(joint(COCO17_LEFT_SHOULDER), joint(COCO17_RIGHT_SHOULDER)), 2);
    return tf.concat(COCO17_TO_OPENPOSE18_ORDER.map((s) => (s === 17 ? neck : joint(s))), axis);
  });
}
