import { InputError } from '@skelflow/base';
import { gaussianFilter1d, rocAuc } from '@skelflow/metrics';

/** One clip's labels and frame scores for {@link evaluateFrames}. */
export interface EvalClip {
  /** Clip name (for error messages and the per-clip output). */
  name: string;
  /** Per frame, 1 = abnormal, 0 = normal (what `readGroundTruth` returns). */
  gtAbnormal: ArrayLike<number>;
  /** Per frame normality score (higher = more normal), already filled (finite). */
  frameScores: ArrayLike<number>;
}

/** Input of {@link evaluateFrames}. */
export interface EvaluateFramesInput {
  /** Clips in data-set order. */
  clips: readonly EvalClip[];
  /** Also smooth each clip with {@link smoothStgNf} and report `aucSmoothed`. Default `true`. */
  smooth?: boolean;
}

/** Output of {@link evaluateFrames}. */
export interface FrameEvaluation {
  /** Micro AUC over all frames of the unsmoothed scores. */
  aucRaw: number;
  /** Micro AUC after smoothing (the number STG-NF reports), or `undefined` with `smooth: false`. */
  aucSmoothed: number | undefined;
  /** Frames over all clips. */
  nFrames: number;
  /** Abnormal frames over all clips. */
  nAbnormal: number;
  /** Per clip: the raw scores (a float64 copy) and the smoothed ones. */
  perClip: { name: string; raw: Float64Array; smoothed: Float64Array | undefined }[];
}

/**
 * STG-NF's frame-level evaluation: optional per-clip smoothing ({@link smoothStgNf}), then one
 * **micro** ROC AUC over the concatenated frames of all clips, with **normal as the positive
 * class** and the normality score (−NLL) as the score: sklearn `roc_auc_score(1 − abnormal,
 * score)`, ties counted ½ (with raw scores many frames share the fill value). This is the same
 * number as the usual AUC with abnormal positive and −score.
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `utils/scoring_utils.py` `score_dataset`,
 * `smooth_scores`, `score_auc`.
 *
 * @param input clips (GT 1 = abnormal, filled frame scores) and whether to smooth
 * @returns raw and smoothed AUC, frame counts and per-clip score arrays
 * @throws InputError (naming the clip and frame) if a clip's label and score lengths differ, a
 *   label is not 0/1, a score is not finite (fill with `scoresToFrames` first), or all frames
 *   belong to one class
 *
 * @example
 * ```ts
 * const fs = scoresToFrames(scores, segs.meta, gt);
 * const r = evaluateFrames({ clips: gt.map((g, i) => ({ name: g.name, gtAbnormal: g.gtAbnormal, frameScores: fs.clips[i].scores })) });
 * console.log(r.aucSmoothed);
 * ```
 */
export function evaluateFrames(input: EvaluateFramesInput): FrameEvaluation {
  const smooth = input.smooth ?? true;
  let total = 0;
  for (const c of input.clips) {
    if (c.gtAbnormal.length !== c.frameScores.length) {
      throw new InputError(
        `ground truth has ${c.gtAbnormal.length} frames but there are ${c.frameScores.length} frame scores`,
        { source: 'evaluateFrames', location: `clip ${c.name}` },
      );
    }
    total += c.gtAbnormal.length;
  }
  const labels = new Uint8Array(total); // 1 = normal (the positive class)
  const raw = new Float64Array(total);
  const smoothedAll = smooth ? new Float64Array(total) : undefined;
  const perClip: FrameEvaluation['perClip'] = [];
  let nAbnormal = 0;
  let off = 0;
  for (const c of input.clips) {
    const n = c.gtAbnormal.length;
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const g = c.gtAbnormal[i];
      const v = c.frameScores[i];
      if (g !== 0 && g !== 1) {
        throw new InputError(`label must be 0 or 1 (1 = abnormal), got ${g}`, {
          source: 'evaluateFrames',
          location: `clip ${c.name}, frame ${i}`,
        });
      }
      if (!Number.isFinite(v)) {
        throw new InputError(`frame score is ${v}; fill unscored frames first (scoresToFrames does)`, {
          source: 'evaluateFrames',
          location: `clip ${c.name}, frame ${i}`,
        });
      }
      nAbnormal += g;
      labels[off + i] = 1 - g;
      r[i] = v;
    }
    raw.set(r, off);
    let s: Float64Array | undefined;
    if (smoothedAll) {
      s = smoothStgNf(r);
      smoothedAll.set(s, off);
    }
    perClip.push({ name: c.name, raw: r, smoothed: s });
    off += n;
  }
  const nNormal = total - nAbnormal;
  if (nAbnormal === 0 || nNormal === 0) {
    throw new InputError(`ROC AUC is undefined with only one class present (${nNormal} positive, ${nAbnormal} negative)`, { source: 'evaluateFrames' });
  }
  const aucRaw = rocAuc(labels, raw);
  const aucSmoothed = smoothedAll ? rocAuc(labels, smoothedAll) : undefined;
  return { aucRaw, aucSmoothed, nFrames: total, nAbnormal, perClip };
}

/**
 * STG-NF's temporal smoothing of one clip's frame scores (`smooth_scores`,
 * `utils/scoring_utils.py` L73-77): `gaussian_filter1d` applied six times in sequence with
 * σ = 1, 2, 3, 4, 5, 6 (SciPy defaults: mode `'reflect'`, truncate 4, float64). The cascade is
 * roughly one Gaussian with σ ≈ 9.5, but the truncation and the reflection at the clip ends make
 * it differ, so it is reproduced step by step. Apply it per clip, after the fill of
 * `scoresToFrames` (the original smooths the filled values).
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `utils/scoring_utils.py` `smooth_scores`;
 * SciPy `scipy.ndimage.gaussian_filter1d` (`@skelflow/metrics` `gaussianFilter1d`, SciPy-exact).
 *
 * @param scores one clip's frame scores (finite)
 * @returns a new `Float64Array` of the same length
 *
 * @example
 * ```ts
 * const smoothed = smoothStgNf(frameScores.clips[0].scores);
 * ```
 */
export function smoothStgNf(scores: ArrayLike<number>): Float64Array {
  let s: ArrayLike<number> = scores;
  for (let sigma = 1; sigma <= 6; sigma++) s = gaussianFilter1d(s, sigma);
  return s instanceof Float64Array && s !== scores ? s : Float64Array.from(s);
}
