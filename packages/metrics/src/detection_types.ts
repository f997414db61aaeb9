// Shapes of the region- and track-based detection criteria (RBDC / TBDC) and their text
// formats; see detection_criteria.ts.

/** Ground-truth row `[track_id, frame, x1, y1, x2, y2]` (corner coordinates, inclusive pixels). */
export type TrackRow = ArrayLike<number>;

/** Detection row `[frame, x1, y1, x2, y2, score]` (higher score = more anomalous). */
export type DetectionRow = ArrayLike<number>;

/** Ground truth and detections of one video. A missing field means "no rows". */
export interface VideoRegions {
  /** Video name (e.g. the file name), used in error messages. */
  name?: string;
  /** Ground-truth anomaly regions, rows `[track_id, frame, x1, y1, x2, y2]`. */
  tracks?: ReadonlyArray<TrackRow>;
  /** Detected anomalous regions, rows `[frame, x1, y1, x2, y2, score]`. */
  detections?: ReadonlyArray<DetectionRow>;
}

/** How detections with equal scores are swept. */
export type TieHandling = 'average' | 'input-order';

/** Options of {@link rbdc}, {@link tbdc} and {@link rbdcTbdc}. */
export interface DetectionCriteriaOptions {
  /** The paper's α: minimum IoU (inclusive, `>=`) for a detection to hit a ground-truth region. Default 0.1. */
  alpha?: number;
  /** The paper's β: minimum fraction (inclusive) of a track's regions that must be hit for the track to count as detected. Default 0.1. */
  beta?: number;
  /**
   * `'average'` (default): a group of detections with the same score is one step of the
   * curve (a diagonal segment when it holds hits and false positives), so the result does
   * not depend on the order of rows or videos. `'input-order'`: one step per detection,
   * ties broken by video order then row order, which reproduces the reference script
   * for that order.
   */
  ties?: TieHandling;
}

/** A detection-rate vs false-positives-per-frame polyline, cut at 1 false positive per frame. */
export interface DetectionCurve {
  /** False positives per frame at each vertex, non-decreasing from 0 to 1. */
  fpr: Float64Array;
  /** Detection rate (region or track) at each vertex. */
  rate: Float64Array;
}

/** Counts after all detections (including those ranked beyond 1 false positive per frame). */
export interface DetectionDiagnostics {
  numFrames: number;
  numGtRegions: number;
  numTracks: number;
  numDetections: number;
  numFalsePositives: number;
  numMatchedRegions: number;
  numDetectedTracks: number;
  /** numFalsePositives >= numFrames: the curve reached 1 FP per frame without extension. */
  fprReachesOne: boolean;
}

/** Result of {@link rbdc}. */
export interface RbdcResult {
  /** Area under the region-based detection curve over FPR in [0, 1]. */
  rbdc: number;
  curve: DetectionCurve;
  diagnostics: DetectionDiagnostics;
}

/** Result of {@link tbdc}. */
export interface TbdcResult {
  /** Area under the track-based detection curve over FPR in [0, 1]. */
  tbdc: number;
  curve: DetectionCurve;
  diagnostics: DetectionDiagnostics;
}

/** Result of {@link rbdcTbdc}. */
export interface RbdcTbdcResult {
  rbdc: number;
  tbdc: number;
  rbdcCurve: DetectionCurve;
  tbdcCurve: DetectionCurve;
  diagnostics: DetectionDiagnostics;
}
