import { InputError } from '@skelflow/base';
import { getSkeleton } from '@skelflow/pose';
import type { DecisionThresholds, KeypointLayout } from './contract.js';
import type { ClipExplanation } from './explain_frames.js';

// NFlowAD's four decision levels (Choueb et al.; model card §4.3) on the frame-mapped anomaly of
// `explainClips`. Here rather than in a model: any model with the `explainSegments` capability is
// decided the same way by every front end, and the rules are plain arithmetic (no tfjs). The clip
// rule is the same as `@skelflow/metrics`' `evaluateClip` with clipMax = τ_frame and clipMean = τ_seq;
// it is written here as a rule on the three statistics so that its whole truth table is testable
// (two of its eight rows cannot come from frame scores: S_frac > 0 implies max_t S_t > τ_frame).

/** Why a clip was flagged: S_frac ≥ τ_frac, max_t S_t > τ_frame, mean_t S_t > τ_seq. */
export type ClipReason = 'fraction' | 'max' | 'mean';

/** The three statistics of a clip the clip rule reads. */
export interface ClipStats {
  /** max_t S_t. */
  max: number;
  /** mean_t S_t. */
  mean: number;
  /** S_frac = #{t : S_t > τ_frame} / T. */
  fraction: number;
}

/** A joint ranked by its anomaly in one frame. */
export interface RankedJoint {
  /** The layout's joint name. */
  joint: string;
  /** Joint index in the layout's order. */
  index: number;
  /** S_{j,t}. */
  score: number;
}

/** Per flagged frame, the joints that explain the alarm. */
export interface FrameJoints {
  /** Frame number in the clip. */
  frame: number;
  /** S_t of the frame. */
  score: number;
  /** The person the frame's anomaly belongs to. */
  person: string;
  /** The top-k joints, most anomalous first. */
  top: RankedJoint[];
}

/** Sequence level: one person's track over the clip. */
export interface SequenceDecision {
  person: string;
  /** Frames of the clip this person's windows cover. */
  nFrames: number;
  /** S_seq = mean_t S_t over those frames. */
  meanScore: number;
  /** max_t S_t over those frames. */
  maxScore: number;
  /** S_seq > τ_seq. */
  anomalous: boolean;
}

/** Every level's decisions on one clip; see {@link decideClip}. */
export interface ClipDecisions {
  /** Frames with a mapped S_t (covered by some person's window): the T of S_frac. */
  nScoredFrames: number;
  /** Frame level: frames with S_t > τ_frame, increasing. */
  flaggedFrames: number[];
  /** S_frac = #flagged / nScoredFrames (0 without scored frames). */
  frameFraction: number;
  /** max_t S_t over scored frames (null without any). */
  maxScore: number | null;
  /** mean_t S_t over scored frames (null without any). */
  meanScore: number | null;
  /** Joint level: per frame with any S_{j,t} > τ_joint, those joints' indices, increasing. */
  flaggedJoints: { frame: number; joints: number[] }[];
  /** Sequence level, per person track, by person id. */
  sequences: SequenceDecision[];
  /** Clip level: the caption rule `max > τ_frame ∨ mean > τ_seq ∨ S_frac ≥ τ_frac`. */
  anomalous: boolean;
  /** The parts of the clip rule that fired, in the order fraction, max, mean. */
  reasons: ClipReason[];
  /** For each flagged frame, the top-k joints by S_{j,t}. */
  topJoints: FrameJoints[];
}

/**
 * Checks decision thresholds: numbers, not NaN (+∞ switches a level off), τ_frac in (0, 1].
 *
 * @throws InputError naming the field, with `source` the caller's
 */
export function checkDecisionThresholds(thresholds: DecisionThresholds, source: string): void {
  for (const k of ['joint', 'frame', 'sequence', 'clipFraction'] as const) {
    const v = thresholds[k];
    if (typeof v !== 'number' || Number.isNaN(v)) throw new InputError(`thresholds.${k} must be a number, got ${String(v)}`, { source });
  }
  if (!(thresholds.clipFraction > 0 && thresholds.clipFraction <= 1)) {
    throw new InputError(`thresholds.clipFraction must be in (0, 1], got ${thresholds.clipFraction}`, { source });
  }
}

/**
 * The joint names of a layout with V joints: the built-in layouts' names (`@skelflow/pose`
 * `getSkeleton`), else `joint_0 … joint_{V−1}` for a layout this package does not know (a family's
 * own layout), so reports still index the joints.
 *
 * @throws InputError when a built-in layout has a different number of joints than V
 */
export function layoutJointNames(layout: KeypointLayout, nJoints: number): string[] {
  if (layout !== 'coco17' && layout !== 'openpose18' && layout !== 'openpose') return Array.from({ length: nJoints }, (_, j) => `joint_${j}`);
  const names = getSkeleton(layout as 'coco17' | 'openpose18' | 'openpose').jointNames;
  if (names.length !== nJoints) {
    throw new InputError(`layout ${layout} has ${names.length} joints, the model's input has ${nJoints}`, { source: 'layoutJointNames' });
  }
  return [...names];
}

/**
 * The k joints with the highest anomaly in one frame's row, most anomalous first; ties go to the
 * lower joint index (a stable order, so reports do not depend on the sort's internals).
 *
 * @param row S_{j,t} of one frame, `[V]`
 * @param names joint names, `[V]`
 * @param k how many (fewer when V < k)
 */
export function topJoints(row: ArrayLike<number>, names: readonly string[], k = 3): RankedJoint[] {
  if (names.length !== row.length) throw new InputError(`${names.length} joint names for ${row.length} joints`, { source: 'topJoints' });
  const idx = Array.from({ length: row.length }, (_, j) => j);
  idx.sort((a, b) => row[b]! - row[a]! || a - b);
  return idx.slice(0, Math.max(0, k)).map((j) => ({ joint: names[j]!, index: j, score: row[j]! }));
}

/**
 * The caption rule of NFlowAD's Table 2: a clip is anomalous when
 * `max_t S_t > τ_frame ∨ mean_t S_t > τ_seq ∨ S_frac ≥ τ_frac`, returned as the parts that fired
 * (order fraction, max, mean; empty = normal). `≥` for the fraction: "S_frac ≥ 10 %" in the
 * caption, so a clip with exactly 10 % flagged frames is anomalous.
 */
export function clipRule(stats: ClipStats, thresholds: DecisionThresholds): ClipReason[] {
  const reasons: ClipReason[] = [];
  if (stats.fraction >= thresholds.clipFraction) reasons.push('fraction');
  if (stats.max > thresholds.frame) reasons.push('max');
  if (stats.mean > thresholds.sequence) reasons.push('mean');
  return reasons;
}

/**
 * NFlowAD's decisions at every level on one frame-mapped clip ({@link ClipExplanation}), with
 * values strictly above a threshold flagged:
 *
 * - joint: S_{j,t} > τ_joint, on the joint row of the person chosen at frame t;
 * - frame: S_t > τ_frame; S_frac = #flagged / #scored frames (frames no window covers are no
 *   evidence either way: NaN in the explanation, outside T);
 * - sequence, per person track: S_seq = mean_t S_t over the frames the person covers > τ_seq;
 * - clip: the caption rule ({@link clipRule}) on the clip's S_t;
 * - and per flagged frame the `topK` joints by S_{j,t} ({@link topJoints}).
 *
 * @param jointNames the layout's names (`layoutJointNames`), `[V]`
 * @throws InputError for bad thresholds or names that do not match V
 */
export function decideClip(clip: ClipExplanation, thresholds: DecisionThresholds, jointNames: readonly string[], topK = 3): ClipDecisions {
  const source = 'decideClip';
  checkDecisionThresholds(thresholds, source);
  const V = clip.nJoints;
  if (jointNames.length !== V) throw new InputError(`${jointNames.length} joint names for ${V} joints`, { source, location: `clip ${clip.name}` });
  const scoredFrames: number[] = [];
  const scored: number[] = [];
  for (let f = 0; f < clip.nFrames; f++) {
    if (Number.isNaN(clip.frames[f]!)) continue;
    scoredFrames.push(f);
    scored.push(clip.frames[f]!);
  }
  const flaggedFrames = scoredFrames.filter((f) => clip.frames[f]! > thresholds.frame);
  const flaggedJoints: { frame: number; joints: number[] }[] = [];
  for (const f of scoredFrames) {
    const joints: number[] = [];
    for (let j = 0; j < V; j++) if (clip.joints[f * V + j]! > thresholds.joint) joints.push(j);
    if (joints.length > 0) flaggedJoints.push({ frame: f, joints });
  }
  const sequences = clip.persons.map((p): SequenceDecision => {
    let sum = 0;
    let max = -Infinity;
    let n = 0;
    for (let f = 0; f < clip.nFrames; f++) {
      const v = p.frames[f]!;
      if (Number.isNaN(v)) continue;
      sum += v;
      n++;
      if (v > max) max = v;
    }
    const meanScore = n > 0 ? sum / n : NaN;
    return { person: p.person, nFrames: n, meanScore, maxScore: max, anomalous: meanScore > thresholds.sequence };
  });
  let max = -Infinity;
  let sum = 0;
  for (const v of scored) {
    sum += v;
    if (v > max) max = v;
  }
  const frameFraction = scored.length > 0 ? flaggedFrames.length / scored.length : 0;
  const reasons = scored.length > 0 ? clipRule({ max, mean: sum / scored.length, fraction: frameFraction }, thresholds) : [];
  const topJointsOf = flaggedFrames.map((f) => ({
    frame: f,
    score: clip.frames[f]!,
    person: clip.persons[clip.personAt[f]!]!.person,
    top: topJoints(clip.joints.subarray(f * V, (f + 1) * V), jointNames, topK),
  }));
  return {
    nScoredFrames: scored.length,
    flaggedFrames,
    frameFraction,
    maxScore: scored.length > 0 ? max : null,
    meanScore: scored.length > 0 ? sum / scored.length : null,
    flaggedJoints,
    sequences,
    anomalous: reasons.length > 0,
    reasons,
    topJoints: topJointsOf,
  };
}
