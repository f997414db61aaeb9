// Frame-rate conversion of MotionClip3D, and the per-clip motion statistics used to label clips.
import { InputError } from '@skelflow/base';
import type { MotionClip3D } from './clip.js';

/**
 * Resamples a clip to `fps`. When the source rate is an integer multiple of `fps` (CMU 120 → 30)
 * every k-th frame is kept, starting with the first (exact positions, bone lengths preserved).
 * Otherwise `coco` and `joints` are linearly interpolated at `t = n / fps` for every `t` up to the
 * last source frame; rotations are not interpolated (there are none in a clip), so interpolated
 * frames can shorten bones slightly where joints turn fast.
 *
 * @param clip the clip
 * @param fps target frames per second (> 0)
 * @returns a new clip (other fields copied; `fps` and `nFrames` updated)
 * @throws InputError when `fps` is not a positive finite number or the clip's arrays do not match `nFrames`
 *
 * @example
 * ```ts
 * const c30 = resampleClip(clip120, 30); // frames 0, 4, 8, …
 * ```
 */
export function resampleClip(clip: MotionClip3D, fps: number): MotionClip3D {
  if (!(fps > 0) || !Number.isFinite(fps)) throw new InputError(`fps must be a positive number, got ${fps}`, { source: clip.source });
  const F = clip.nFrames;
  const J = clip.jointNames.length;
  if (clip.coco.length !== F * 17 * 3) throw new InputError(`coco has ${clip.coco.length} values, expected ${F}×17×3`, { source: clip.source });
  if (clip.joints.length !== F * J * 3) throw new InputError(`joints has ${clip.joints.length} values, expected ${F}×${J}×3`, { source: clip.source });
  if (F === 0) return { ...clip, fps, coco: new Float32Array(0), joints: new Float32Array(0) };
  const ratio = clip.fps / fps;
  const k = Math.round(ratio);
  if (k >= 1 && Math.abs(ratio - k) <= 1e-9 * ratio) {
    const n = Math.ceil(F / k);
    return { ...clip, fps, nFrames: n, coco: pick(clip.coco, 17 * 3, n, k), joints: pick(clip.joints, J * 3, n, k) };
  }
  // Linear interpolation at t = i / fps, i.e. source position s = i · ratio.
  const n = Math.floor(((F - 1) / ratio) * (1 + 1e-12)) + 1;
  return { ...clip, fps, nFrames: n, coco: lerpFrames(clip.coco, 17 * 3, F, n, ratio), joints: lerpFrames(clip.joints, J * 3, F, n, ratio) };
}

function pick(src: Float32Array, width: number, n: number, k: number): Float32Array {
  const out = new Float32Array(n * width);
  for (let i = 0; i < n; i++) out.set(src.subarray(i * k * width, (i * k + 1) * width), i * width);
  return out;
}

function lerpFrames(src: Float32Array, width: number, F: number, n: number, ratio: number): Float32Array {
  const out = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    const s = Math.min(i * ratio, F - 1);
    const a = Math.floor(s);
    const b = Math.min(a + 1, F - 1);
    const w = s - a;
    for (let q = 0; q < width; q++) out[i * width + q] = (1 - w) * src[a * width + q]! + w * src[b * width + q]!;
  }
  return out;
}

/** Per-clip motion figures from {@link clipStats}. */
export interface ClipStats {
  /** nFrames / fps, seconds. */
  durationS: number;
  /** Mean horizontal (x–z) speed of the root joint, m/s. */
  meanRootSpeed: number;
  /** Largest horizontal root speed, m/s. */
  maxRootSpeed: number;
  /** max − min of the root's height (y) over the clip, metres. */
  rootHeightRange: number;
  /** Mean 3D speed of the two COCO wrists (averaged), m/s. */
  meanWristSpeed: number;
}

/**
 * Quick motion statistics of a clip, to label clips (walk vs run vs in-place actions) in a manifest.
 * Speeds are finite differences over 0.1 s (`round(fps / 10)` frames, at least 1), which removes
 * capture jitter without blurring gait; the root is joint 0 of `joints`, the wrists are COCO 9 and 10.
 *
 * @param clip the clip
 * @returns duration, root speeds, root height range and mean wrist speed
 *
 * @example
 * ```ts
 * clipStats(clip); // { durationS: 2.86, meanRootSpeed: 1.3, … } for CMU 02_01 (walk)
 * ```
 */
export function clipStats(clip: MotionClip3D): ClipStats {
  const F = clip.nFrames;
  const J = clip.jointNames.length;
  const durationS = F / clip.fps;
  const step = Math.max(1, Math.round(clip.fps / 10));
  const dt = step / clip.fps;
  let sumRoot = 0;
  let maxRoot = 0;
  let sumWrist = 0;
  let n = 0;
  let yMin = Infinity;
  let yMax = -Infinity;
  const R = clip.joints;
  const C = clip.coco;
  for (let f = 0; f < F; f++) {
    const y = R[f * J * 3 + 1]!;
    if (y < yMin) yMin = y;
    if (y > yMax) yMax = y;
  }
  for (let f = 0; f + step < F; f++) {
    const a = f * J * 3;
    const b = (f + step) * J * 3;
    const v = Math.hypot(R[b]! - R[a]!, R[b + 2]! - R[a + 2]!) / dt;
    sumRoot += v;
    if (v > maxRoot) maxRoot = v;
    let w = 0;
    for (const k of [9, 10]) {
      const p = (f * 17 + k) * 3;
      const q = ((f + step) * 17 + k) * 3;
      w += Math.hypot(C[q]! - C[p]!, C[q + 1]! - C[p + 1]!, C[q + 2]! - C[p + 2]!) / dt;
    }
    sumWrist += w / 2;
    n++;
  }
  return {
    durationS,
    meanRootSpeed: n ? sumRoot / n : 0,
    maxRootSpeed: maxRoot,
    rootHeightRange: F ? yMax - yMin : 0,
    meanWristSpeed: n ? sumWrist / n : 0,
  };
}
