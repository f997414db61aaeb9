import { InputError } from '@skelflow/base';
import { estimatorPoseToCoco17, type EstimatorPose, type EstimatorPoseOptions } from './keypoints.js';

/** An axis-aligned box `[xMin, yMin, xMax, yMax]`. */
export type Box = readonly [number, number, number, number];

/** Intersection over union of two boxes (0 when either is empty). */
export function boxIou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** The box around the keypoints of a COCO-17 `(x, y, c)` array whose confidence is at least `minScore` (all of them if none is). */
export function keypointBox(kp: ArrayLike<number>, minScore = 0): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const pass of [minScore, -Infinity]) {
    for (let i = 0; i + 2 < kp.length; i += 3) {
      if (kp[i + 2]! < pass) continue;
      x0 = Math.min(x0, kp[i]!);
      y0 = Math.min(y0, kp[i + 1]!);
      x1 = Math.max(x1, kp[i]!);
      y1 = Math.max(y1, kp[i + 1]!);
    }
    if (x0 <= x1) break;
  }
  return [x0, y0, x1, y1];
}

/** One tracked person in one frame: what `StreamingScorer.pushMany` takes. */
export interface TrackedPose {
  /** The person's track ID: the estimator's `id` when it gives one, else the tracker's. */
  trackId: number;
  /** The frame number passed to {@link IouTracker.update}. */
  frame: number;
  /** COCO-17 `(x, y, confidence)` × 17. */
  keypoints: Float32Array;
  /** Index of the pose in the input array. */
  index: number;
}

/** Options of {@link IouTracker}. */
export interface IouTrackerOptions {
  /** Minimum IoU for a detection to continue a track. Default 0.3. */
  iouThreshold?: number;
  /** Frames a track may go unmatched before it is dropped (its ID is never reused). Default 5. */
  maxAge?: number;
  /** Keypoints below this confidence are left out of the keypoint box. Default 0.2. */
  minKeypointScore?: number;
  /** Use the estimator's `id` when a pose has one (MoveNet MultiPose's tracker). Default true. */
  useEstimatorIds?: boolean;
  /** Layout of the keypoints, see {@link estimatorPoseToCoco17}. */
  layout?: EstimatorPoseOptions['layout'];
}

interface Track {
  id: number;
  box: Box;
  lastFrame: number;
}

/**
 * A simple IoU tracker for pose detections without IDs: each frame, detections are matched to the
 * live tracks greedily by decreasing IoU of their boxes (the estimator's `box` when given, else the
 * box around the confident keypoints); a match needs IoU ≥ `iouThreshold`, an unmatched detection
 * starts a new track, and a track unmatched for more than `maxAge` frames ends. IDs are integers
 * from 1, never reused, and never equal to an estimator `id` seen. With `useEstimatorIds`, poses
 * carrying an `id` keep it. Its output feeds `StreamingScorer.pushMany` directly.
 *
 * This is the classic IoU tracker (Bochinski, Eiselein & Sikora, "High-Speed Tracking-by-Detection
 * Without Using Image Information", AVSS 2017) with a greedy assignment; a crossing of two people
 * can swap IDs, as it can with any appearance-free tracker.
 *
 * @example
 * ```ts
 * const tracker = new IouTracker();
 * const scorer = new StreamingScorer(model);
 * for (const [frame, poses] of frames.entries()) {
 *   const tracked = tracker.update(frame, poses);   // poses from detector.estimatePoses
 *   const scores = scorer.pushMany(tracked);         // per person: normality or null
 *   for (const id of tracker.takeEnded()) scorer.end(id);
 * }
 * ```
 */
export class IouTracker {
  private readonly iouThreshold: number;
  private readonly maxAge: number;
  private readonly minScore: number;
  private readonly useIds: boolean;
  private readonly layout: EstimatorPoseOptions['layout'];
  private tracks: Track[] = [];
  private readonly estimatorIds = new Set<number>();
  private ended: number[] = [];
  private nextId = 1;
  private lastFrame = -Infinity;

  constructor(options: IouTrackerOptions = {}) {
    this.iouThreshold = options.iouThreshold ?? 0.3;
    this.maxAge = options.maxAge ?? 5;
    this.minScore = options.minKeypointScore ?? 0.2;
    this.useIds = options.useEstimatorIds ?? true;
    this.layout = options.layout ?? 'auto';
    if (!(this.iouThreshold > 0 && this.iouThreshold <= 1)) throw new InputError(`iouThreshold must be in (0, 1], got ${this.iouThreshold}`, { source: 'IouTracker', location: 'options.iouThreshold' });
    if (!(Number.isInteger(this.maxAge) && this.maxAge >= 0)) throw new InputError(`maxAge must be an integer ≥ 0, got ${this.maxAge}`, { source: 'IouTracker', location: 'options.maxAge' });
  }

  /**
   * The poses of one frame → tracked poses (same order as `poses`).
   *
   * @param frame the frame number (integer, increasing from call to call)
   * @param poses `detector.estimatePoses(...)`'s result for that frame
   * @throws InputError for a non-increasing frame or a pose that cannot be read (nothing changes)
   */
  update(frame: number, poses: readonly EstimatorPose[]): TrackedPose[] {
    if (!Number.isInteger(frame) || frame <= this.lastFrame) {
      throw new InputError(`frame must be an integer greater than the previous one (${this.lastFrame}), got ${frame}`, { source: 'IouTracker.update' });
    }
    const kps = poses.map((p, i) => estimatorPoseToCoco17(p, { layout: this.layout, location: `frame ${frame}, pose ${i}` }));
    const boxes: Box[] = poses.map((p, i) => (p.box ? [p.box.xMin, p.box.yMin, p.box.xMax, p.box.yMax] : keypointBox(kps[i]!, this.minScore)));
    this.lastFrame = frame;
    const ids = new Array<number | undefined>(poses.length);
    const claimed = new Set<number>();
    if (this.useIds) {
      poses.forEach((p, i) => {
        if (typeof p.id === 'number' && Number.isFinite(p.id)) {
          ids[i] = p.id;
          claimed.add(p.id);
          this.estimatorIds.add(p.id);
        }
      });
    }
    // Greedy matching by decreasing IoU between the live tracks and the detections without an ID.
    const pairs: [number, number, number][] = [];
    this.tracks.forEach((t, ti) => {
      if (claimed.has(t.id)) return;
      boxes.forEach((b, di) => {
        if (ids[di] !== undefined) return;
        const iou = boxIou(t.box, b);
        if (iou >= this.iouThreshold) pairs.push([iou, ti, di]);
      });
    });
    pairs.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
    const usedTrack = new Set<number>();
    for (const [, ti, di] of pairs) {
      if (usedTrack.has(ti) || ids[di] !== undefined) continue;
      usedTrack.add(ti);
      ids[di] = this.tracks[ti]!.id;
    }
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== undefined) continue;
      while (this.estimatorIds.has(this.nextId)) this.nextId++;
      ids[i] = this.nextId++;
    }
    // Update the live tracks: matched ones move, new ones start, stale ones end.
    const byId = new Map(this.tracks.map((t) => [t.id, t]));
    ids.forEach((id, i) => byId.set(id!, { id: id!, box: boxes[i]!, lastFrame: frame }));
    this.tracks = [];
    for (const t of byId.values()) {
      if (frame - t.lastFrame > this.maxAge) this.ended.push(t.id);
      else this.tracks.push(t);
    }
    return poses.map((_, i) => ({ trackId: ids[i]!, frame, keypoints: kps[i]!, index: i }));
  }

  /** IDs of the tracks that ended since the last call (unmatched for more than `maxAge` frames); pass them to `StreamingScorer.end`. */
  takeEnded(): number[] {
    const out = this.ended;
    this.ended = [];
    return out;
  }

  /** Number of live tracks. */
  get activeTracks(): number {
    return this.tracks.length;
  }
}
