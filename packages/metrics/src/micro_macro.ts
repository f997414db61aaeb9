import { MetricsInputError } from './errors';
import { rocAuc } from './roc';
import type { MicroMacroOptions, MicroMacroResult, VideoAuc, VideoScores } from './types';
import { checkSameLength, labelAt } from './validate';

function videoLabel(v: VideoScores, i: number): string {
  return v.name ?? `video_${i}`;
}

function videoSource(v: VideoScores, i: number, field: string): string {
  return v.name === undefined ? `videos[${i}].${field}` : `videos[${i}] (${v.name}).${field}`;
}

/**
 * Micro and macro frame-level ROC AUC over a set of videos.
 *
 * - micro: {@link rocAuc} over all frames of all videos concatenated, the convention of
 *   STG-NF and most pose-based papers (one threshold for the whole data set).
 * - macro: unweighted mean of per-video AUCs. A video with a single class (or no frame)
 *   has no AUC; it is skipped, listed in `skippedVideos`, and its `auc` is `null`.
 *   `macroAuc` is `null` when every video is skipped. With `macro: 'ubnormal-padded'` the
 *   UBnormal script's variant is computed instead (see {@link MicroMacroOptions}).
 *
 * References: scikit-learn `roc_auc_score`; Hirschorn & Avidan, "Normalizing Flows for
 * Human Pose Anomaly Detection" (STG-NF, ICCV 2023) for the micro convention; Acsintoae et
 * al., "UBnormal" (CVPR 2022) evaluation script for the padded macro variant.
 *
 * @param videos per-video labels and scores, in any order
 * @param options macro variant
 * @returns micro AUC, macro AUC, per-video AUCs and the skipped videos
 * @throws {MetricsInputError} on a per-video length mismatch, a NaN score or a bad label
 *   (the message names the video), or when all frames together hold a single class
 *
 * @example
 * ```ts
 * import { microMacroAuc } from '`@skelflow/metrics`';
 * const r = microMacroAuc([
 *   { name: 'a', labels: [0, 0, 1, 1], scores: [0.1, 0.2, 0.3, 0.4] },
 *   { name: 'b', labels: [0, 0, 0], scores: [0.5, 0.6, 0.7] },
 * ]);
 * // r.microAuc 0.4, r.macroAuc 1, r.skippedVideos ['b']
 * ```
 */
export function microMacroAuc(videos: readonly VideoScores[], options: MicroMacroOptions = {}): MicroMacroResult {
  const variant = options.macro ?? 'skip-single-class';
  if (variant !== 'skip-single-class' && variant !== 'ubnormal-padded') {
    throw new MetricsInputError('options.macro', undefined, `unknown macro variant ${String(variant)}`);
  }
  let total = 0;
  for (let i = 0; i < videos.length; i++) {
    const v = videos[i];
    checkSameLength(v.labels, v.scores, videoSource(v, i, 'labels'), videoSource(v, i, 'scores'));
    total += v.scores.length;
  }
  const labels = new Uint8Array(total);
  const scores = new Float64Array(total);
  const perVideo: VideoAuc[] = [];
  const skippedVideos: string[] = [];
  let macroSum = 0;
  let macroCount = 0;
  let offset = 0;
  for (let i = 0; i < videos.length; i++) {
    const v = videos[i];
    const n = v.scores.length;
    const labelSource = videoSource(v, i, 'labels');
    const scoreSource = videoSource(v, i, 'scores');
    let numAnomalous = 0;
    for (let f = 0; f < n; f++) {
      const s = v.scores[f];
      if (typeof s !== 'number' || s !== s) {
        throw new MetricsInputError(scoreSource, `index ${f}`, `score must be a number, got ${String(s)}`);
      }
      const l = labelAt(v.labels, f, labelSource);
      labels[offset + f] = l;
      scores[offset + f] = s;
      numAnomalous += l;
    }
    const name = videoLabel(v, i);
    let auc: number | null = null;
    const names = { labels: labelSource, scores: scoreSource };
    const vl = labels.subarray(offset, offset + n);
    const vs = scores.subarray(offset, offset + n);
    if (variant === 'ubnormal-padded') {
      const pl = new Uint8Array(n + 2);
      const ps = new Float64Array(n + 2);
      pl.set(vl, 1);
      ps.set(vs, 1);
      pl[n + 1] = 1;
      ps[n + 1] = 1;
      auc = rocAuc(pl, ps, names);
    } else if (numAnomalous > 0 && numAnomalous < n) {
      auc = rocAuc(vl, vs, names);
    } else {
      skippedVideos.push(name);
    }
    if (auc !== null) {
      macroSum += auc;
      macroCount++;
    }
    perVideo.push({ name, auc, numFrames: n, numAnomalous });
    offset += n;
  }
  const microAuc = rocAuc(labels, scores, { labels: 'labels of all videos', scores: 'scores of all videos' });
  return { microAuc, macroAuc: macroCount === 0 ? null : macroSum / macroCount, perVideo, skippedVideos };
}
