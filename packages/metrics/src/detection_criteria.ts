// The shared engine of RBDC and TBDC: ground-truth indexing, IoU matching and the sweep
// over detections sorted by score. rbdc.ts and tbdc.ts are thin views on its result.
import type { DetectionCriteriaOptions, DetectionCurve, DetectionDiagnostics, RbdcTbdcResult, TieHandling, VideoRegions } from './detection_types';
import { MetricsInputError } from './errors';
import { iouCorners } from './iou';
import { checkDetectionRow, checkTrackRow } from './rows';

const DEFAULT_ALPHA = 0.1;
const DEFAULT_BETA = 0.1;

function videoSource(v: VideoRegions, i: number, field: string): string {
  return v.name === undefined ? `videos[${i}].${field}` : `videos[${i}] (${v.name}).${field}`;
}

function checkFraction(v: unknown, source: string): number {
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) {
    throw new MetricsInputError(source, undefined, `must be in (0, 1], got ${String(v)}`);
  }
  return v;
}

/** Ground-truth regions in flat arrays, indexed by (video, frame). */
interface GroundTruth {
  x1: number[];
  y1: number[];
  x2: number[];
  y2: number[];
  track: number[];
  /** Per video: frame -> indices of the regions in that frame. */
  byFrame: Map<number, number[]>[];
  /** Per global track: number of distinct frames. */
  trackLength: number[];
}

function indexGroundTruth(videos: readonly VideoRegions[]): GroundTruth {
  const gt: GroundTruth = { x1: [], y1: [], x2: [], y2: [], track: [], byFrame: [], trackLength: [] };
  for (let v = 0; v < videos.length; v++) {
    const rows = videos[v].tracks ?? [];
    const source = videoSource(videos[v], v, 'tracks');
    const byFrame = new Map<number, number[]>();
    // Track ids are taken as labels: every id is honoured whatever its value or row order
    // (the reference assumes ids 0..K-1 with the largest last, and drops or crashes otherwise).
    const trackOf = new Map<number, number>();
    const regionOf = new Map<number, Map<number, number>>();
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      checkTrackRow(row, source, `row ${r}`);
      const id = row[0];
      const frame = row[1];
      let t = trackOf.get(id);
      if (t === undefined) {
        t = gt.trackLength.length;
        trackOf.set(id, t);
        gt.trackLength.push(0);
        regionOf.set(id, new Map());
      }
      const frames = regionOf.get(id)!;
      const existing = frames.get(frame);
      if (existing !== undefined) {
        // A track has one region per frame: a repeated frame replaces the earlier box, as in the reference.
        gt.x1[existing] = row[2];
        gt.y1[existing] = row[3];
        gt.x2[existing] = row[4];
        gt.y2[existing] = row[5];
        continue;
      }
      const idx = gt.x1.length;
      gt.x1.push(row[2]);
      gt.y1.push(row[3]);
      gt.x2.push(row[4]);
      gt.y2.push(row[5]);
      gt.track.push(t);
      gt.trackLength[t]++;
      frames.set(frame, idx);
      const list = byFrame.get(frame);
      if (list === undefined) byFrame.set(frame, [idx]);
      else list.push(idx);
    }
    gt.byFrame.push(byFrame);
  }
  return gt;
}

/** All detections of all videos in flat arrays, in input order (video, then row). */
interface Detections {
  video: Int32Array;
  frame: Float64Array;
  box: Float64Array; // 4 per detection
  score: Float64Array;
}

function collectDetections(videos: readonly VideoRegions[]): Detections {
  let n = 0;
  for (const v of videos) n += v.detections?.length ?? 0;
  const d: Detections = {
    video: new Int32Array(n),
    frame: new Float64Array(n),
    box: new Float64Array(4 * n),
    score: new Float64Array(n),
  };
  let k = 0;
  for (let v = 0; v < videos.length; v++) {
    const rows = videos[v].detections ?? [];
    const source = videoSource(videos[v], v, 'detections');
    for (let r = 0; r < rows.length; r++, k++) {
      const row = rows[r];
      checkDetectionRow(row, source, `row ${r}`);
      d.video[k] = v;
      d.frame[k] = row[0];
      d.box[4 * k] = row[1];
      d.box[4 * k + 1] = row[2];
      d.box[4 * k + 2] = row[3];
      d.box[4 * k + 3] = row[4];
      d.score[k] = row[5];
    }
  }
  return d;
}

/** Curve vertices before the cut at FPR = 1: counts after each step. */
interface Sweep {
  fp: Float64Array;
  tp: Float64Array;
  detected: Float64Array;
  steps: number;
}

function sweep(gt: GroundTruth, d: Detections, alpha: number, beta: number, ties: TieHandling): Sweep {
  const n = d.score.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const score = d.score;
  // Descending score; equal scores (including +/-Infinity, and -0 vs 0) keep input order.
  order.sort((a, b) => (score[a] === score[b] ? a - b : score[a] < score[b] ? 1 : -1));

  const matched = new Uint8Array(gt.x1.length);
  const hits = new Float64Array(gt.trackLength.length);
  const isDetected = new Uint8Array(gt.trackLength.length);
  const out: Sweep = { fp: new Float64Array(n), tp: new Float64Array(n), detected: new Float64Array(n), steps: 0 };
  let fp = 0;
  let tp = 0;
  let detected = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const regions = gt.byFrame[d.video[i]].get(d.frame[i]);
    let hit = false;
    if (regions !== undefined) {
      const bx1 = d.box[4 * i];
      const by1 = d.box[4 * i + 1];
      const bx2 = d.box[4 * i + 2];
      const by2 = d.box[4 * i + 3];
      for (const r of regions) {
        if (iouCorners(bx1, by1, bx2, by2, gt.x1[r], gt.y1[r], gt.x2[r], gt.y2[r]) < alpha) continue;
        hit = true;
        // One detection may hit several regions; a region already hit is a duplicate
        // (neither a true nor a false positive).
        if (matched[r]) continue;
        matched[r] = 1;
        tp++;
        const t = gt.track[r];
        hits[t]++;
        if (!isDetected[t] && hits[t] / gt.trackLength[t] >= beta) {
          isDetected[t] = 1;
          detected++;
        }
      }
    }
    if (!hit) fp++;
    // With 'average', a vertex is emitted only after the last detection of a tie group:
    // the group's counts do not depend on its internal order, only the path inside it does.
    const endOfStep = ties === 'input-order' || k === n - 1 || score[order[k + 1]] !== score[i];
    if (endOfStep) {
      out.fp[out.steps] = fp;
      out.tp[out.steps] = tp;
      out.detected[out.steps] = detected;
      out.steps++;
    }
  }
  return out;
}

/**
 * The polyline (0,0), then (fp/N, y) per step, kept while fp <= N; a step that crosses
 * FPR = 1 is cut on its segment; a curve ending before FPR = 1 is extended flat to 1.
 * Returns the curve and its trapezoidal area.
 */
function cutCurve(s: Sweep, counts: Float64Array, denom: number, numFrames: number): { curve: DetectionCurve; area: number } {
  const fpr = new Float64Array(s.steps + 2);
  const rate = new Float64Array(s.steps + 2);
  let m = 1; // vertex 0 is the origin
  let prevFp = 0;
  let prevY = 0;
  for (let k = 0; k < s.steps; k++) {
    const y = counts[k] / denom;
    if (s.fp[k] <= numFrames) {
      fpr[m] = s.fp[k] / numFrames;
      rate[m] = y;
      m++;
      prevFp = s.fp[k];
      prevY = y;
      continue;
    }
    if (prevFp < numFrames) {
      // Only a tie group (ties: 'average') can jump over FPR = 1: cut its diagonal there.
      fpr[m] = 1;
      rate[m] = prevY + ((y - prevY) * (numFrames - prevFp)) / (s.fp[k] - prevFp);
      m++;
    }
    break;
  }
  if (fpr[m - 1] < 1) {
    fpr[m] = 1;
    rate[m] = rate[m - 1];
    m++;
  }
  let area = 0;
  for (let k = 1; k < m; k++) area += ((fpr[k] - fpr[k - 1]) * (rate[k] + rate[k - 1])) / 2;
  return { curve: { fpr: fpr.slice(0, m), rate: rate.slice(0, m) }, area };
}

/**
 * RBDC and TBDC in one pass (they share the sweep); see {@link rbdc} and {@link tbdc} for
 * the definitions, the inputs and how this implementation differs from the reference
 * script where that script misbehaves.
 *
 * References: Ramachandra & Jones, "Street Scene: A new dataset and evaluation protocol for
 * video anomaly detection", WACV 2020; Georgescu et al., TPAMI 2021, reference script
 * `evaluation/compute_tbdc_rbdc.py` (lilygeorgescu/AED).
 *
 * @param videos ground-truth tracks and detections per video
 * @param numFrames total number of frames of all videos (normal videos included): the
 *   denominator of false positives per frame
 * @param options alpha (IoU, default 0.1), beta (track fraction, default 0.1), ties
 * @returns both criteria, both curves and the counts
 * @throws {MetricsInputError} for a malformed row (naming video and row), a NaN score,
 *   numFrames not a positive integer, alpha/beta outside (0, 1], or no ground-truth region
 *   in any video (both criteria would be 0/0)
 *
 * @example
 * ```ts
 * import { rbdcTbdc } from '`@skelflow/metrics`';
 * const r = rbdcTbdc(
 *   [{ name: 'v1', tracks: [[0, 0, 0, 0, 9, 9], [0, 1, 0, 0, 9, 9]],
 *      detections: [[0, 0, 0, 9, 9, 0.9], [1, 50, 50, 59, 59, 0.8]] }],
 *   10,
 * );
 * // r.rbdc 0.5, r.tbdc 1
 * ```
 */
export function rbdcTbdc(
  videos: readonly VideoRegions[],
  numFrames: number,
  options: DetectionCriteriaOptions = {},
): RbdcTbdcResult {
  if (typeof numFrames !== 'number' || !Number.isInteger(numFrames) || numFrames < 1) {
    throw new MetricsInputError('numFrames', undefined, `must be a positive integer (total frames of all videos), got ${String(numFrames)}`);
  }
  const alpha = checkFraction(options.alpha ?? DEFAULT_ALPHA, 'options.alpha');
  const beta = checkFraction(options.beta ?? DEFAULT_BETA, 'options.beta');
  const ties = options.ties ?? 'average';
  if (ties !== 'average' && ties !== 'input-order') {
    throw new MetricsInputError('options.ties', undefined, `must be 'average' or 'input-order', got ${String(ties)}`);
  }
  const gt = indexGroundTruth(videos);
  const numGtRegions = gt.x1.length;
  if (numGtRegions === 0) {
    throw new MetricsInputError(
      'tracks',
      undefined,
      'no ground-truth anomaly region in any video: RBDC and TBDC are undefined (0/0)',
    );
  }
  const d = collectDetections(videos);
  const s = sweep(gt, d, alpha, beta, ties);
  const numTracks = gt.trackLength.length;
  const last = s.steps - 1;
  const r = cutCurve(s, s.tp, numGtRegions, numFrames);
  const t = cutCurve(s, s.detected, numTracks, numFrames);
  const numFalsePositives = last >= 0 ? s.fp[last] : 0;
  return {
    rbdc: r.area,
    tbdc: t.area,
    rbdcCurve: r.curve,
    tbdcCurve: t.curve,
    diagnostics: {
      numFrames,
      numGtRegions,
      numTracks,
      numDetections: d.score.length,
      numFalsePositives,
      numMatchedRegions: last >= 0 ? s.tp[last] : 0,
      numDetectedTracks: last >= 0 ? s.detected[last] : 0,
      fprReachesOne: numFalsePositives >= numFrames,
    },
  };
}
