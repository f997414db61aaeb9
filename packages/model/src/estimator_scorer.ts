import { IouTracker, type EstimatorPose, type IouTrackerOptions } from '@skelflow/pose';
import { StreamingScorer, type StreamingModel, type StreamingScorerOptions } from './streaming.js';

/** One person of one frame, scored. */
export interface ScoredPose {
  /** The person's track ID (the estimator's `id`, or {@link IouTracker}'s). */
  trackId: number;
  /** Index of the pose in the frame's `poses`. */
  index: number;
  /** The model's normality score of this person's latest window (higher = more normal), or null until `segLen` detections. */
  score: number | null;
}

/**
 * Live scoring straight from a browser pose estimator: each frame's
 * `detector.estimatePoses(...)` output (MoveNet, BlazePose, PoseNet; `@tensorflow-models/pose-detection`
 * objects, read structurally) → COCO-17 keypoints (`estimatorPoseToCoco17`) → person IDs
 * ({@link IouTracker}, or the estimator's own) → {@link StreamingScorer.pushMany} (one batched model
 * call per frame). Tracks the tracker ends are released from the scorer.
 *
 * @example
 * ```ts
 * const live = new PoseEstimatorScorer(model);            // any AnomalyModel taking pose segments
 * let frame = 0;
 * async function tick() {
 *   const poses = await detector.estimatePoses(video);
 *   for (const p of live.update(frame++, poses)) if (p.score !== null && p.score < threshold) flag(p.trackId);
 *   requestAnimationFrame(tick);
 * }
 * ```
 */
export class PoseEstimatorScorer {
  /** The tracker that assigns person IDs. */
  readonly tracker: IouTracker;
  /** The streaming scorer the tracked poses go to. */
  readonly scorer: StreamingScorer;

  constructor(model: StreamingModel, options: { tracker?: IouTrackerOptions; scorer?: Omit<StreamingScorerOptions, 'keypointFormat'> } = {}) {
    this.tracker = new IouTracker(options.tracker);
    this.scorer = new StreamingScorer(model, { ...options.scorer, keypointFormat: 'coco17' });
  }

  /**
   * Scores one frame's poses.
   *
   * @param frame the frame number (integer ≥ 0, increasing)
   * @param poses the estimator's output for the frame
   * @returns one entry per pose, in the order of `poses`
   * @throws InputError for an unreadable pose or a non-increasing frame (nothing changes)
   */
  update(frame: number, poses: readonly EstimatorPose[]): ScoredPose[] {
    const tracked = this.tracker.update(frame, poses);
    const scores = this.scorer.pushMany(tracked);
    for (const id of this.tracker.takeEnded()) this.scorer.end(id);
    return tracked.map((t, i) => ({ trackId: t.trackId, index: t.index, score: scores[i]! }));
  }
}
