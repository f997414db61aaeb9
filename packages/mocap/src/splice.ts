/**
 * Cutting and splicing {@link MotionClip3D}s: test clips are built from segments of several
 * source clips, each rotated about the vertical axis and moved on the ground so that the root
 * position and heading continue from the end of the previous segment. Browser-safe.
 *
 * @module
 */
import { InputError } from '@skelflow/base';
import { rootAt } from './camera.js';
import type { MotionClip3D } from './clip.js';

const K = 17;
const L_HIP = 11;
const R_HIP = 12;

/**
 * Frames `[from, to)` of a clip as a new clip (copies the data).
 *
 * @throws InputError when the range is empty or outside the clip.
 * @example
 * ```ts
 * const walk = sliceClip(clip, 0, 60); // the first 60 frames
 * ```
 */
export function sliceClip(clip: MotionClip3D, from: number, to: number): MotionClip3D {
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to <= clip.nFrames && from < to)) {
    throw new InputError(`frame range [${from}, ${to}) is not inside the clip's ${clip.nFrames} frames`, { source: clip.source || clip.name });
  }
  const J = clip.jointNames.length;
  return {
    ...clip,
    nFrames: to - from,
    coco: clip.coco.slice(from * K * 3, to * K * 3),
    joints: clip.joints.slice(from * J * 3, to * J * 3),
    jointNames: [...clip.jointNames],
    parents: [...clip.parents],
  };
}

/**
 * The heading of a clip around frame `f`: the yaw `atan2(z, x)` of the mean left-minus-right hip
 * vector (COCO joints 11 − 12) over the frames `[f − window + 1, f]` (or `[f, f + window − 1]` with
 * `forwardWindow`), so the sway of the pelvis during gait averages out.
 *
 * @param clip - the clip.
 * @param f - the frame.
 * @param window - number of frames averaged (clipped to the clip).
 * @param forwardWindow - average the frames after `f` instead of those before.
 * @returns radians in (−π, π].
 * @example
 * ```ts
 * const yawEnd = hipYaw(a, a.nFrames - 1, 15);
 * const yawStart = hipYaw(b, 0, 15, true);
 * ```
 */
export function hipYaw(clip: MotionClip3D, f: number, window = 1, forwardWindow = false): number {
  let sx = 0;
  let sz = 0;
  for (let k = 0; k < Math.max(1, window); k++) {
    const t = forwardWindow ? f + k : f - k;
    if (t < 0 || t >= clip.nFrames) break;
    const o = t * K * 3;
    sx += clip.coco[o + 3 * L_HIP] - clip.coco[o + 3 * R_HIP];
    sz += clip.coco[o + 3 * L_HIP + 2] - clip.coco[o + 3 * R_HIP + 2];
  }
  return Math.atan2(sz, sx);
}

/**
 * Rotates a clip by `angle` radians about the vertical axis through the origin (the yaw
 * `atan2(z, x)` of every horizontal vector grows by `angle`), then translates it by `(dx, 0, dz)`.
 * Returns a new clip.
 *
 * @example
 * ```ts
 * const turned = rotateTranslateClip(clip, Math.PI / 2, 1, 0); // quarter turn, then 1 m along x
 * ```
 */
export function rotateTranslateClip(clip: MotionClip3D, angle: number, dx: number, dz: number): MotionClip3D {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const tr = (a: Float32Array): Float32Array => {
    const b = new Float32Array(a.length);
    for (let i = 0; i < a.length; i += 3) {
      const x = a[i];
      const z = a[i + 2];
      b[i] = c * x - s * z + dx;
      b[i + 1] = a[i + 1];
      b[i + 2] = s * x + c * z + dz;
    }
    return b;
  };
  return { ...clip, coco: tr(clip.coco), joints: tr(clip.joints), jointNames: [...clip.jointNames], parents: [...clip.parents] };
}

/**
 * The largest distance the root moves on the ground (x, z) between two consecutive frames.
 *
 * @example
 * ```ts
 * maxRootStep(walk) * walk.fps; // peak walking speed in m/s
 * ```
 */
export function maxRootStep(clip: MotionClip3D): number {
  let m = 0;
  for (let f = 1; f < clip.nFrames; f++) {
    const a = rootAt(clip, f - 1);
    const b = rootAt(clip, f);
    m = Math.max(m, Math.hypot(b[0] - a[0], b[2] - a[2]));
  }
  return m;
}

/** One piece of a spliced clip. */
export interface SpliceSegment {
  /** The source, already at the output frame rate. */
  clip: MotionClip3D;
  /** First frame used (inclusive). */
  from: number;
  /** End frame (exclusive). */
  to: number;
  /** Frame label: 0 normal, 1 abnormal. */
  label: 0 | 1;
}

/** Options of {@link spliceClips}. */
export interface SpliceOptions {
  /**
   * Frames over which the pose of a new segment is blended from the last pose of the previous
   * one (a decaying per-joint offset; the root's ground position is not blended, it is continued
   * exactly). 0 = no blending. Default 6 (0.2 s at 30 fps).
   */
  blendFrames?: number;
  /** Frames averaged for the heading at each side of a cut (see {@link hipYaw}). Default 15. */
  headingWindow?: number;
  /** Where the clip comes from (for messages). */
  source?: string;
}

/** Result of {@link spliceClips}. */
export interface SplicedClip {
  /** The joined clip. */
  clip: MotionClip3D;
  /** `[F]` frame labels, 1 = abnormal. */
  labels: Uint8Array;
  /** `[F]` index of the segment each frame came from. */
  segment: Int32Array;
  /** First frame of every segment in the joined clip. */
  starts: number[];
}

/**
 * Joins segments of clips into one clip with continuous root motion and heading. The first
 * segment stays where it is. Each further segment is rotated about the vertical axis so that its
 * heading at its start (the hip vector, {@link hipYaw}, averaged over `headingWindow` frames)
 * equals the heading at the end of the previous segment, then moved on the ground so that its
 * first root position is the previous segment's last root position plus one root step — the
 * smaller of the previous segment's last step and the new segment's first step, so across the cut
 * the root moves exactly one frame of the adjacent motion and never more than its neighbours.
 * Root height is not changed, but over the first `blendFrames` frames every joint (root included)
 * gets a linearly decaying offset that makes the first frame continue the previous pose, so limbs
 * and height do not jump either. The labels follow the segments' frames.
 *
 * All segments must have the same frame rate and the same skeleton (joint names).
 *
 * @param name - name of the new clip.
 * @param segments - the pieces, in order.
 * @param options - see {@link SpliceOptions}.
 * @returns the clip, its frame labels and segment bookkeeping.
 * @throws InputError when there are no segments, a range is outside its clip, or frame rates or
 *   skeletons differ.
 * @example
 * ```ts
 * const { clip, labels } = spliceClips('walk-run-walk', [
 *   { clip: walk, from: 0, to: 90, label: 0 },
 *   { clip: run, from: 10, to: 50, label: 1 },
 *   { clip: walk, from: 90, to: 150, label: 0 },
 * ]);
 * ```
 */
export function spliceClips(name: string, segments: readonly SpliceSegment[], options: SpliceOptions = {}): SplicedClip {
  const source = options.source ?? name;
  if (segments.length === 0) throw new InputError('no segments to splice', { source });
  const blend = options.blendFrames ?? 6;
  const win = options.headingWindow ?? 15;
  if (!(Number.isInteger(blend) && blend >= 0)) throw new InputError(`blendFrames must be an integer ≥ 0, got ${blend}`, { source });
  if (!(Number.isInteger(win) && win >= 1)) throw new InputError(`headingWindow must be an integer ≥ 1, got ${win}`, { source });
  const first = segments[0]!.clip;
  const J = first.jointNames.length;
  const pieces: MotionClip3D[] = [];
  segments.forEach((seg, i) => {
    const where = `segments[${i}]`;
    if (seg.clip.fps !== first.fps) {
      throw new InputError(`frame rate ${seg.clip.fps} differs from the first segment's ${first.fps}`, { source, location: where });
    }
    if (seg.clip.jointNames.length !== J || seg.clip.jointNames.some((n, k) => n !== first.jointNames[k])) {
      throw new InputError(`skeleton (joint names) differs from the first segment's`, { source, location: where });
    }
    if (!(Number.isInteger(seg.from) && Number.isInteger(seg.to) && seg.from >= 0 && seg.to <= seg.clip.nFrames && seg.from < seg.to)) {
      throw new InputError(`frame range [${seg.from}, ${seg.to}) is not inside ${seg.clip.name}'s ${seg.clip.nFrames} frames`, { source, location: where });
    }
    let piece = sliceClip(seg.clip, seg.from, seg.to);
    const prev = pieces[pieces.length - 1];
    if (prev) {
      const n = prev.nFrames;
      const end = rootAt(prev, n - 1);
      const before = n > 1 ? rootAt(prev, n - 2) : end;
      const angle = hipYaw(prev, n - 1, win) - hipYaw(piece, 0, win, true);
      piece = rotateTranslateClip(piece, angle, 0, 0);
      // The root's step across the cut: the smaller of the previous segment's last step and the
      // new segment's first step, so the cut never moves the root more than its neighbours do.
      let sx = end[0] - before[0];
      let sz = end[2] - before[2];
      if (piece.nFrames > 1) {
        const p0 = rootAt(piece, 0);
        const p1 = rootAt(piece, 1);
        if (Math.hypot(p1[0] - p0[0], p1[2] - p0[2]) < Math.hypot(sx, sz)) {
          sx = p1[0] - p0[0];
          sz = p1[2] - p0[2];
        }
      }
      const start = rootAt(piece, 0);
      piece = rotateTranslateClip(piece, 0, end[0] + sx - start[0], end[2] + sz - start[2]);
      if (blend > 0) {
        // Offsets that make frame 0 equal the previous last frame moved by the root step.
        const blendArr = (a: Float32Array, b: Float32Array, V: number) => {
          const lastOff = (n - 1) * V * 3;
          for (let v = 0; v < V; v++) {
            const ox = b[lastOff + 3 * v] + sx - a[3 * v];
            const oy = b[lastOff + 3 * v + 1] - a[3 * v + 1];
            const oz = b[lastOff + 3 * v + 2] + sz - a[3 * v + 2];
            for (let t = 0; t < Math.min(blend, piece.nFrames); t++) {
              const w = 1 - t / blend;
              const o = (t * V + v) * 3;
              a[o] += w * ox;
              a[o + 1] += w * oy;
              a[o + 2] += w * oz;
            }
          }
        };
        blendArr(piece.coco, prev.coco, K);
        if (J > 0) blendArr(piece.joints, prev.joints, J);
      }
    }
    pieces.push(piece);
  });
  const F = pieces.reduce((s, p) => s + p.nFrames, 0);
  const coco = new Float32Array(F * K * 3);
  const joints = new Float32Array(F * J * 3);
  const labels = new Uint8Array(F);
  const segment = new Int32Array(F);
  const starts: number[] = [];
  let at = 0;
  pieces.forEach((p, i) => {
    starts.push(at);
    coco.set(p.coco, at * K * 3);
    joints.set(p.joints, at * J * 3);
    labels.fill(segments[i]!.label, at, at + p.nFrames);
    segment.fill(i, at, at + p.nFrames);
    at += p.nFrames;
  });
  const clip: MotionClip3D = {
    name,
    fps: first.fps,
    nFrames: F,
    coco,
    jointNames: [...first.jointNames],
    joints,
    parents: [...first.parents],
    source: segments.map((s) => `${s.clip.name}[${s.from}:${s.to}]`).join(' + '),
  };
  return { clip, labels, segment, starts };
}
