// Result shapes of the frame-level metrics, kept apart from the implementations so that
// type-only consumers (and the API type tests) do not pull in code.

/** ROC polyline; see {@link rocCurve}. */
export interface RocCurve {
  /** False-positive rate per vertex, non-decreasing, starting at 0 and ending at 1. */
  fpr: Float64Array;
  /** True-positive rate per vertex, non-decreasing, starting at 0 and ending at 1. */
  tpr: Float64Array;
  /** Score threshold per vertex (frames with score >= threshold are called anomalous); `thresholds[0] = Infinity`. */
  thresholds: Float64Array;
}

/** Precision-recall points; see {@link prCurve}. */
export interface PrCurve {
  /** Precision per point; `precision[0] = 1` is the anchor at recall 0. */
  precision: Float64Array;
  /** Recall per point, non-decreasing, starting at 0 and ending at 1. */
  recall: Float64Array;
  /** Score threshold per point, decreasing; `thresholds[0] = Infinity` for the anchor. */
  thresholds: Float64Array;
}

/** Frame labels and scores of one video, for {@link microMacroAuc}. */
export interface VideoScores {
  /** Video name, used in `skippedVideos` and in error messages; defaults to `video_<index>`. */
  name?: string;
  /** Per-frame ground truth, 1 (or `true`) = anomalous. */
  labels: ArrayLike<number | boolean>;
  /** Per-frame anomaly scores, higher = more anomalous. */
  scores: ArrayLike<number>;
}

/** Options of {@link microMacroAuc}. */
export interface MicroMacroOptions {
  /**
   * `'skip-single-class'` (default): the macro AUC is the mean over videos with both classes;
   * the others are skipped and listed. `'ubnormal-padded'`: the UBnormal evaluation script's
   * variant, which prepends a frame (label 0, score 0) and appends one (label 1, score 1) to
   * every video and averages over all videos; only meaningful for scores in [0, 1].
   */
  macro?: 'skip-single-class' | 'ubnormal-padded';
}

/** Per-video entry of {@link MicroMacroResult}. */
export interface VideoAuc {
  name: string;
  /** The video's ROC AUC, or `null` when the video was skipped. */
  auc: number | null;
  numFrames: number;
  numAnomalous: number;
}

/** Result of {@link microMacroAuc}. */
export interface MicroMacroResult {
  /** AUC over all frames of all videos concatenated (the STG-NF convention). */
  microAuc: number;
  /** Mean of the per-video AUCs, or `null` when every video was skipped. */
  macroAuc: number | null;
  /** One entry per input video, in input order. */
  perVideo: VideoAuc[];
  /** Names of the videos left out of the macro mean (single-class or empty). */
  skippedVideos: string[];
}

/** Names used in error messages for the two inputs (e.g. the files they were read from). */
export interface InputNames {
  labels: string;
  scores: string;
}
