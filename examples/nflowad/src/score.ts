import { InputError } from '@skelflow/base';
import { percentile } from '@skelflow/metrics';
import type { DecisionThresholds, SegmentExplanation } from '@skelflow/model';

/**
 * The raw per-frame terms of segments, before standardisation (higher err = worse fit; higher
 * logProb = more likely).
 */
export interface NflowadFrameParts {
  /** `[N, T, V]` err_{t,j} = ‖x̂_{t,j} − x_{t,j}‖² / C on the unmasked input. */
  jointErrors: Float64Array;
  /** `[N, T]` MSE_t = mean_j err_{t,j}. */
  mse: Float64Array;
  /** `[N, T]` log p(h_t | c) in nats. */
  logProb: Float64Array;
}

/** Mean and standard deviation of each term on normal validation frames: `[μ_mse, σ_mse, μ_logp, σ_logp]`. */
export type NflowadScoreStats = readonly [number, number, number, number];

/** No standardisation (the hand case of card §4.7 item 5). */
export const IDENTITY_STATS: NflowadScoreStats = [0, 1, 0, 1];

/** Per-frame S_t `[N, T]` and per-joint S_{j,t} `[N, T, V]` anomaly (higher = more anomalous): the contract's `SegmentExplanation`. */
export type NflowadExplanation = SegmentExplanation;

/** τ_joint, τ_frame, τ_seq and τ_frac: the contract's `DecisionThresholds`. */
export type NflowadThresholds = DecisionThresholds;

/**
 * The frame score `S_t = α·(MSE_t − μ_mse)/σ_mse − β·(log p_t − μ_logp)/σ_logp` (NFlowAD's
 * `S = α·MSE − β·log p`, card §4.3, with each term standardised on normal validation data so that
 * neither dominates: −log p of a d-dimensional vector is in the tens or hundreds).
 *
 * @example
 * ```ts
 * frameScore(0.5, -10, 0.6, 0.4, IDENTITY_STATS); // 0.6·0.5 + 0.4·10 = 4.3
 * ```
 */
export function frameScore(mse: number, logProb: number, alpha: number, beta: number, stats: NflowadScoreStats): number {
  return (alpha * (mse - stats[0])) / stats[1] - (beta * (logProb - stats[2])) / stats[3];
}

/**
 * The joint score `S_{j,t} = α·(err_{t,j} − μ_mse)/σ_mse`: the reconstruction term of S_t with one
 * joint's error in place of the frame mean (the flow term is per frame and cannot be split over
 * joints, card §4.3); so mean_j S_{j,t} is S_t's reconstruction term.
 */
export function jointScore(err: number, alpha: number, stats: NflowadScoreStats): number {
  return (alpha * (err - stats[0])) / stats[1];
}

/** S_t `[N, T]` and S_{j,t} `[N, T, V]` of frame parts. */
export function explainParts(parts: NflowadFrameParts, joints: number, alpha: number, beta: number, stats: NflowadScoreStats): NflowadExplanation {
  const frames = new Float64Array(parts.mse.length);
  for (let i = 0; i < frames.length; i++) frames[i] = frameScore(parts.mse[i]!, parts.logProb[i]!, alpha, beta, stats);
  const out = new Float64Array(parts.jointErrors.length);
  for (let i = 0; i < out.length; i++) out[i] = jointScore(parts.jointErrors[i]!, alpha, stats);
  if (out.length !== frames.length * joints) throw new InputError(`joint errors hold ${out.length} values, expected ${frames.length} frames × ${joints} joints`, { source: 'explainParts' });
  return { frames, joints: out };
}

/** S_seq = mean_t S_t of each segment, from S_t `[N, T]`. */
export function sequenceScores(frames: Float64Array, segLen: number): Float64Array {
  const n = frames.length / segLen;
  const out = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    let sum = 0;
    for (let t = 0; t < segLen; t++) sum += frames[s * segLen + t]!;
    out[s] = sum / segLen;
  }
  return out;
}

/** Mean and population standard deviation of `v` (a standard deviation below 1e-12 becomes 1). */
export function meanStd(v: ArrayLike<number>): [number, number] {
  let m = 0;
  for (let i = 0; i < v.length; i++) m += v[i]!;
  m /= v.length;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i]! - m) ** 2;
  s = Math.sqrt(s / v.length);
  return [m, s > 1e-12 ? s : 1];
}

/** `[μ_mse, σ_mse, μ_logp, σ_logp]` over every frame of normal validation parts. */
export function fitScoreStats(parts: NflowadFrameParts): NflowadScoreStats {
  if (parts.mse.length === 0) throw new InputError('no validation frame to standardise the score terms on', { source: 'fitScoreStats' });
  return [...meanStd(parts.mse), ...meanStd(parts.logProb)] as NflowadScoreStats;
}

/**
 * The thresholds: the `q`-th percentile (NumPy's linear interpolation, `@skelflow/metrics`
 * `percentile`) of S_{j,t}, S_t and S_seq over normal validation segments (card §4.3: one
 * threshold per level, each on the combined score of its level), and τ_frac as given.
 */
export function fitThresholds(explanation: NflowadExplanation, segLen: number, q: number, clipFraction: number): NflowadThresholds {
  if (explanation.frames.length === 0) throw new InputError('no validation frame to set the thresholds on', { source: 'fitThresholds' });
  return {
    joint: percentile(explanation.joints, q),
    frame: percentile(explanation.frames, q),
    sequence: percentile(sequenceScores(explanation.frames, segLen), q),
    clipFraction,
  };
}
