// Shapes of the multi-level (joint / frame / clip) decision rules; see multilevel.ts.

/** Thresholds of the multi-level rules; see {@link evaluateClip}. */
export interface MultiLevelThresholds {
  /** Joint-level threshold: one for every joint, or one per joint (length = number of joints). Optional. */
  joint?: number | ArrayLike<number>;
  /** Frame-level threshold: frame i is flagged when frameScores[i] > frame. */
  frame: number;
  /** Clip rule: flag the clip when its maximum frame score exceeds this. Optional. */
  clipMax?: number;
  /** Clip rule: flag the clip when its mean frame score exceeds this. Optional. */
  clipMean?: number;
  /** τ_frac: flag the clip when at least this fraction of its frames is flagged. Default 0.1. */
  minFraction?: number;
}

/** Scores of one clip (sequence) of one person or scene. */
export interface ClipScores {
  /** Per-frame anomaly scores, higher = more anomalous. */
  frameScores: ArrayLike<number>;
  /** Optional per-frame per-joint scores: jointScores[frame][joint]. */
  jointScores?: ReadonlyArray<ArrayLike<number>>;
}

/** A joint whose score exceeded its joint-level threshold. */
export interface FlaggedJoint {
  frame: number;
  joint: number;
  score: number;
}

/** Why a clip was flagged: the fraction rule, the max rule, the mean rule. */
export type ClipReason = 'fraction' | 'max' | 'mean';

/** Outcome of {@link evaluateClip}. */
export interface ClipDecision {
  /** True when at least one clip rule fired. */
  anomalous: boolean;
  /** The clip rules that fired, in the order fraction, max, mean. */
  reasons: ClipReason[];
  /** Frames whose score exceeds the frame threshold, increasing. */
  flaggedFrames: number[];
  /** flaggedFrames.length / number of frames. */
  fractionAboveFrame: number;
  maxScore: number;
  meanScore: number;
  /** Joints above their joint-level threshold, by frame then joint (empty without joint scores or a joint threshold). */
  flaggedJoints: FlaggedJoint[];
}

/** Options of {@link calibrateMultiLevel}: percentiles (0..100) of normal data per level. */
export interface MultiLevelCalibrationOptions {
  /** Per-joint percentile of joint scores over all calibration frames. Default 99. */
  jointPercentile?: number;
  /** Percentile of all calibration frame scores. Default 99. */
  framePercentile?: number;
  /** Percentile of the calibration clips' maxima and of their means. Default 99. */
  clipPercentile?: number;
  /** τ_frac carried into the thresholds. Default 0.1. */
  minFraction?: number;
}
