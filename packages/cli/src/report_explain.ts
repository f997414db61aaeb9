import { InputError } from '@skelflow/base';
import { rocAuc } from '@skelflow/metrics';
import {
  checkDecisionThresholds,
  decideClip,
  explainClips,
  layoutJointNames,
  type AnomalyModel,
  type ClipDecisions,
  type DecisionThresholds,
} from '@skelflow/model';
import type { FrameClip, SegmentMeta } from '@skelflow/pose';

// The part of `skelflow eval`'s report that models with the `explainSegments` capability (NFlowAD)
// add: per clip the frames × joints anomaly, the decisions at every level and the joints behind
// each alarm, and clip-level precision/recall/AUC. Plain data, so the JSON, the HTML page and
// `skelflow benchmark` read the same numbers.

/** Per clip: the frame-mapped anomaly and the decisions (see docs/cli.md). */
export interface ClipExplanationReport {
  /** S_t per frame (higher = more anomalous): the most anomalous person's; null where no window covers the frame. */
  frameScores: (number | null)[];
  /** The person whose anomaly each frame reports; null where none. */
  person: (string | null)[];
  /** The frames × joints matrix `[F][V]`: that person's S_{j,t}, joints in `jointNames` order; a null row where no window covers the frame. */
  jointScores: (number[] | null)[];
  /** The decisions at every level (null when the model has no thresholds). */
  decisions: ClipDecisions | null;
}

/** Clip-level detection over the evaluated clips (card §4.5): a clip is anomalous when any of its ground-truth frames is. */
export interface ClipLevelMetrics {
  /** The rule that flags a clip. */
  rule: 'max_t S_t > frame ∨ mean_t S_t > sequence ∨ S_frac ≥ clipFraction';
  /** Clips evaluated (those with at least one scored frame). */
  nClips: number;
  /** Of those, clips with an abnormal ground-truth frame. */
  nAnomalous: number;
  /** Clips the rule flags. */
  nFlagged: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** TP / (TP + FP); null when no clip is flagged. */
  precision: number | null;
  /** TP / (TP + FN); null when no clip is anomalous. */
  recall: number | null;
  /** ROC AUC of max_t S_t as the clip score (NFlowAD's Fig. 5); null with one class only. */
  auc: number | null;
}

/** What {@link explainReport} adds to the report. */
export interface ExplanationReport {
  /** The layout's joint names, the columns of every `jointScores` row. */
  jointNames: string[];
  /** The model's decision thresholds (null when it has none: matrices without decisions). */
  thresholds: DecisionThresholds | null;
  /** Per clip, in the order of `clips`. */
  clips: ClipExplanationReport[];
  /** Clip-level precision/recall/AUC (null without thresholds). */
  clipLevel: ClipLevelMetrics | null;
}

const orNull = (v: number) => (Number.isNaN(v) ? null : v);

/**
 * The explanation part of an eval report: runs the model's `explainSegments` on the evaluation
 * segments, maps them to clip frames (`explainClips`: mean over the windows covering a frame, the
 * most anomalous person per frame), decides every clip (`decideClip`, top-3 joints by name per
 * flagged frame) and scores the clip-level decisions against the ground truth.
 *
 * @param model a model with `explainSegments` (and normally `thresholds`)
 * @param data the segments `meta` describes
 * @param clips the evaluated clips with their ground truth (1 = abnormal), in report order
 * @throws InputError naming the model when its explanation or thresholds are malformed
 */
export function explainReport(
  model: AnomalyModel,
  data: Float32Array,
  meta: SegmentMeta,
  clips: readonly (FrameClip & { gtAbnormal: ArrayLike<number> })[],
  options: { batch?: number; source: string; onProgress?: (done: number, total: number) => void },
): ExplanationReport {
  if (!model.explainSegments) throw new InputError('the model cannot explain segments (no explainSegments)', { source: options.source });
  const jointNames = layoutJointNames(model.input.layout, model.input.joints);
  const thresholds = model.thresholds ?? null;
  if (thresholds) checkDecisionThresholds(thresholds, options.source);
  const explanation = model.explainSegments(data, {
    ...(options.batch !== undefined ? { batchSize: options.batch } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  let mapped;
  try {
    mapped = explainClips(explanation, meta, clips, model.input.joints);
  } catch (e) {
    // Name the model (the explanation came from it), keep the place (clip, person, frame).
    if (e instanceof InputError) throw new InputError(`explainSegments: ${e.reason}`, { source: options.source, ...(e.location ? { location: e.location } : {}) });
    throw e;
  }
  const V = model.input.joints;
  const reports = mapped.map((c): ClipExplanationReport => {
    const jointScores: (number[] | null)[] = [];
    for (let f = 0; f < c.nFrames; f++) jointScores.push(c.personAt[f]! < 0 ? null : Array.from(c.joints.subarray(f * V, (f + 1) * V)));
    return {
      frameScores: Array.from(c.frames, orNull),
      person: Array.from(c.personAt, (p) => (p < 0 ? null : c.persons[p]!.person)),
      jointScores,
      decisions: thresholds ? decideClip(c, thresholds, jointNames, 3) : null,
    };
  });
  return {
    jointNames,
    thresholds,
    clips: reports,
    clipLevel: thresholds
      ? clipLevelMetrics(
          clips.map((c) => Array.prototype.some.call(c.gtAbnormal, (v: number) => v !== 0)),
          reports.map((r) => r.decisions!),
        )
      : null,
  };
}

/**
 * Clip-level precision, recall and ROC AUC (max_t S_t as the clip score) of the clip rule's
 * decisions; clips without any scored frame are left out (they have no decision to score).
 *
 * @param anomalous per clip, whether its ground truth has an abnormal frame
 * @param decisions per clip, its decisions
 */
export function clipLevelMetrics(anomalous: readonly boolean[], decisions: readonly ClipDecisions[]): ClipLevelMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const labels: number[] = [];
  const scores: number[] = [];
  decisions.forEach((d, i) => {
    if (d.maxScore === null) return;
    const y = anomalous[i]!;
    labels.push(y ? 1 : 0);
    scores.push(d.maxScore);
    if (d.anomalous && y) tp++;
    else if (d.anomalous) fp++;
    else if (y) fn++;
  });
  const nAnomalous = labels.filter((l) => l === 1).length;
  const both = nAnomalous > 0 && nAnomalous < labels.length;
  return {
    rule: 'max_t S_t > frame ∨ mean_t S_t > sequence ∨ S_frac ≥ clipFraction',
    nClips: labels.length,
    nAnomalous,
    nFlagged: tp + fp,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision: tp + fp > 0 ? tp / (tp + fp) : null,
    recall: tp + fn > 0 ? tp / (tp + fn) : null,
    auc: both ? rocAuc(labels, scores) : null,
  };
}
