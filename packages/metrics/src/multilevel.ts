import { MetricsInputError } from './errors';
import type { ClipDecision, ClipReason, ClipScores, FlaggedJoint, MultiLevelCalibrationOptions, MultiLevelThresholds } from './multilevel_types';
import { percentileOfSorted } from './thresholds';
import { checkFinite } from './validate';

const DEFAULT_MIN_FRACTION = 0.1;
const DEFAULT_PERCENTILE = 99;

function checkUnitFraction(v: number, source: string): number {
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) {
    throw new MetricsInputError(source, undefined, `must be in (0, 1], got ${String(v)}`);
  }
  return v;
}

function checkPct(v: number, source: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 100)) {
    throw new MetricsInputError(source, undefined, `percentile must be in [0, 100], got ${String(v)}`);
  }
  return v;
}

function checkThresholdValue(v: unknown, source: string): void {
  if (typeof v !== 'number' || v !== v) throw new MetricsInputError(source, undefined, `must be a number, got ${String(v)}`);
}

/** Number of joints of a clip's joint scores (rows must agree), checking every value. */
function jointCount(joints: ReadonlyArray<ArrayLike<number>>, numFrames: number, source: string): number {
  if (joints.length !== numFrames) {
    throw new MetricsInputError(source, undefined, `has ${joints.length} frames but frameScores has ${numFrames}`);
  }
  const J = numFrames === 0 ? 0 : joints[0].length;
  for (let f = 0; f < joints.length; f++) {
    if (joints[f].length !== J) {
      throw new MetricsInputError(source, `frame ${f}`, `has ${joints[f].length} joints, frame 0 has ${J}`);
    }
    checkFinite(joints[f], `${source}[${f}]`, 'joint score');
  }
  return J;
}

/**
 * Evaluates NFlowAD-style multi-level decision rules on one clip:
 *
 * - joint level: joint j of frame f is flagged when jointScores[f][j] > joint threshold
 *   (shared or per joint); these localise the anomaly on the body.
 * - frame level: frame f is flagged when frameScores[f] > frame threshold.
 * - sequence (clip) level: the clip is anomalous when the fraction of flagged frames
 *   reaches τ_frac (`>=`, default 10%), or its maximum frame score exceeds `clipMax`, or its
 *   mean frame score exceeds `clipMean` (each rule only when its threshold is given).
 *   The fraction rule uses `>=` because "reaches 10%" must fire at exactly 10%.
 *
 * All values must be finite: a NaN or infinite score would make mean/max comparisons
 * silently meaningless.
 *
 * References: the multi-level thresholding of NFlowAD (normalizing-flow pose anomaly
 * detection with joint-, frame- and sequence-level decisions), as specified for
 * `@skelflow/metrics`.
 *
 * @param clip the clip's frame scores and optional per-joint scores
 * @param thresholds thresholds per level (e.g. from {@link calibrateMultiLevel})
 * @returns whether the clip is anomalous, why, and the flagged frames and joints
 * @throws {MetricsInputError} for an empty clip, a non-finite score (naming frame/joint),
 *   mismatched joint-score shapes or bad thresholds
 *
 * @example
 * ```ts
 * import { evaluateClip } from '`@skelflow/metrics`';
 * const d = evaluateClip(
 *   { frameScores: [0.1, 0.2, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1] },
 *   { frame: 0.5, clipMax: 2 },
 * );
 * // d.anomalous true, d.reasons ['fraction'], d.flaggedFrames [2]
 * ```
 */
export function evaluateClip(clip: ClipScores, thresholds: MultiLevelThresholds): ClipDecision {
  const scores = clip.frameScores;
  const n = scores.length;
  if (n === 0) throw new MetricsInputError('clip.frameScores', undefined, 'is empty');
  checkFinite(scores, 'clip.frameScores', 'frame score');
  checkThresholdValue(thresholds.frame, 'thresholds.frame');
  if (thresholds.clipMax !== undefined) checkThresholdValue(thresholds.clipMax, 'thresholds.clipMax');
  if (thresholds.clipMean !== undefined) checkThresholdValue(thresholds.clipMean, 'thresholds.clipMean');
  const minFraction = checkUnitFraction(thresholds.minFraction ?? DEFAULT_MIN_FRACTION, 'thresholds.minFraction');

  const flaggedFrames: number[] = [];
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (s > thresholds.frame) flaggedFrames.push(i);
    if (s > max) max = s;
    sum += s;
  }
  const mean = sum / n;
  const fraction = flaggedFrames.length / n;
  const reasons: ClipReason[] = [];
  if (fraction >= minFraction) reasons.push('fraction');
  if (thresholds.clipMax !== undefined && max > thresholds.clipMax) reasons.push('max');
  if (thresholds.clipMean !== undefined && mean > thresholds.clipMean) reasons.push('mean');

  const flaggedJoints: FlaggedJoint[] = [];
  if (clip.jointScores !== undefined && thresholds.joint !== undefined) {
    const J = jointCount(clip.jointScores, n, 'clip.jointScores');
    const jt = thresholds.joint;
    if (typeof jt !== 'number') {
      if (jt.length !== J) {
        throw new MetricsInputError('thresholds.joint', undefined, `has ${jt.length} thresholds for ${J} joints`);
      }
      for (let j = 0; j < J; j++) checkThresholdValue(jt[j], `thresholds.joint[${j}]`);
    } else {
      checkThresholdValue(jt, 'thresholds.joint');
    }
    for (let f = 0; f < n; f++) {
      const row = clip.jointScores[f];
      for (let j = 0; j < J; j++) {
        const t = typeof jt === 'number' ? jt : jt[j];
        if (row[j] > t) flaggedJoints.push({ frame: f, joint: j, score: row[j] });
      }
    }
  }
  return {
    anomalous: reasons.length > 0,
    reasons,
    flaggedFrames,
    fractionAboveFrame: fraction,
    maxScore: max,
    meanScore: mean,
    flaggedJoints,
  };
}

/**
 * Calibrates the multi-level thresholds of {@link evaluateClip} on clips of normal data:
 * the frame threshold is a percentile of all frame scores, `clipMax` / `clipMean`
 * percentiles of the clips' maxima / means, and (when every clip has joint scores) one
 * joint threshold per joint, a percentile of that joint's scores over all frames.
 * Percentiles use numpy's default linear interpolation.
 *
 * References: numpy `percentile`; NFlowAD's multi-level thresholds (see {@link evaluateClip}).
 *
 * @param clips clips of normal data
 * @param options percentiles per level (default 99) and τ_frac (default 0.1)
 * @returns thresholds for {@link evaluateClip}
 * @throws {MetricsInputError} for no clips, an empty clip, a non-finite score, joint scores
 *   on some clips only or with differing joint counts, or bad options
 *
 * @example
 * ```ts
 * import { calibrateMultiLevel, evaluateClip } from '`@skelflow/metrics`';
 * const th = calibrateMultiLevel(
 *   [{ frameScores: [0, 1, 2] }, { frameScores: [1, 2, 3] }],
 *   { framePercentile: 50, clipPercentile: 100 },
 * );
 * // th.frame 1.5, th.clipMax 3, th.clipMean 2, th.minFraction 0.1
 * evaluateClip({ frameScores: [0, 0, 5] }, th).reasons; // ['fraction', 'max']
 * ```
 */
export function calibrateMultiLevel(
  clips: readonly ClipScores[],
  options: MultiLevelCalibrationOptions = {},
): MultiLevelThresholds {
  if (clips.length === 0) throw new MetricsInputError('clips', undefined, 'no calibration clip given');
  const jointPct = checkPct(options.jointPercentile ?? DEFAULT_PERCENTILE, 'options.jointPercentile');
  const framePct = checkPct(options.framePercentile ?? DEFAULT_PERCENTILE, 'options.framePercentile');
  const clipPct = checkPct(options.clipPercentile ?? DEFAULT_PERCENTILE, 'options.clipPercentile');
  const minFraction = checkUnitFraction(options.minFraction ?? DEFAULT_MIN_FRACTION, 'options.minFraction');

  let total = 0;
  const withJoints = clips.filter((c) => c.jointScores !== undefined).length;
  if (withJoints !== 0 && withJoints !== clips.length) {
    const missing = clips.findIndex((c) => c.jointScores === undefined);
    throw new MetricsInputError(`clips[${missing}].jointScores`, undefined, 'is missing while other clips have joint scores');
  }
  let J = -1;
  for (let c = 0; c < clips.length; c++) {
    const s = clips[c].frameScores;
    if (s.length === 0) throw new MetricsInputError(`clips[${c}].frameScores`, undefined, 'is empty');
    checkFinite(s, `clips[${c}].frameScores`, 'frame score');
    total += s.length;
    const js = clips[c].jointScores;
    if (js !== undefined) {
      const Jc = jointCount(js, s.length, `clips[${c}].jointScores`);
      if (J >= 0 && Jc !== J) {
        throw new MetricsInputError(`clips[${c}].jointScores`, undefined, `has ${Jc} joints, clips[0] has ${J}`);
      }
      J = Jc;
    }
  }
  const all = new Float64Array(total);
  const maxima = new Float64Array(clips.length);
  const means = new Float64Array(clips.length);
  let off = 0;
  for (let c = 0; c < clips.length; c++) {
    const s = clips[c].frameScores;
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < s.length; i++) {
      all[off + i] = s[i];
      if (s[i] > max) max = s[i];
      sum += s[i];
    }
    off += s.length;
    maxima[c] = max;
    means[c] = sum / s.length;
  }
  const result: MultiLevelThresholds = {
    frame: percentileOfSorted(all.sort(), framePct),
    clipMax: percentileOfSorted(maxima.sort(), clipPct),
    clipMean: percentileOfSorted(means.sort(), clipPct),
    minFraction,
  };
  if (J > 0) {
    const joint = new Float64Array(J);
    const column = new Float64Array(total);
    for (let j = 0; j < J; j++) {
      let k = 0;
      for (const c of clips) for (const row of c.jointScores!) column[k++] = row[j];
      joint[j] = percentileOfSorted(column.sort(), jointPct);
    }
    result.joint = joint;
  }
  return result;
}
