// Everything the page shows, computed in the browser: segments of every person (stride 1, the
// evaluation protocol), the model's normality per segment, frame scores as STG-NF maps them
// (segment centre, minimum over people, smoothed), per-person-per-frame scores for highlighting,
// optional per-joint scores, and with a ground-truth mask the AUC and the ROC.
import type { AnomalyModel } from '@skelflow/model';
import { poseEvalSegments } from '@skelflow/model';
import { percentile, rocAuc, rocCurve } from '@skelflow/metrics';
import { COCO17, OPENPOSE18, scoresToFrames, smoothStgNf, type PoseClip } from '@skelflow/pose';

export interface Analysis {
  clip: PoseClip;
  nFrames: number;
  segLen: number;
  /** Normality per segment (higher = more normal). */
  segmentScores: Float32Array | Float64Array;
  /** Frame scores (STG-NF's mapping, unscored frames filled), raw and smoothed (σ = 1…6). */
  frameRaw: Float64Array;
  frameSmoothed: Float64Array;
  /** Person id → normality per frame (NaN where the person is not scored). */
  personScores: Map<string, Float64Array>;
  /** Person id → per-frame COCO-17 joint normality `[nFrames, 17]` (models with `scoreJoints` only). */
  jointScores: Map<string, Float64Array> | null;
  /** Range of all person scores, for colour scales. */
  range: [number, number];
  /** Ground truth (1 = abnormal frame), AUC and ROC (anomaly = positive, score = −normality). */
  gt: Uint8Array | null;
  auc: { raw: number; smoothed: number } | null;
  roc: { fpr: Float64Array; tpr: Float64Array } | null;
  /** A starting threshold: the 10th percentile of the smoothed frame scores. */
  threshold: number;
}

/** The number of frames a clip spans (last detected frame + 1), or the mask's length when given. */
export function clipLength(clip: PoseClip, gt: Uint8Array | null): number {
  let last = -1;
  for (const t of clip.tracks.values()) last = Math.max(last, t.frames[t.frames.length - 1] ?? -1);
  return Math.max(last + 1, gt?.length ?? 0);
}

export function analyse(model: AnomalyModel, clip: PoseClip, gt: Uint8Array | null): Analysis {
  const nFrames = clipLength(clip, gt);
  if (gt && gt.length !== nFrames) throw new Error(`the mask has ${gt.length} frames, the poses reach frame ${nFrames - 1}`);
  const segs = poseEvalSegments([clip], model.input);
  const segLen = model.input.segLen;
  const segmentScores = model.scoreSegments(segs.data);
  const frames = scoresToFrames(segmentScores, segs.meta, [{ name: clip.name, nFrames }]);
  const frameRaw = frames.clips[0]!.scores;
  const frameSmoothed = smoothStgNf(frameRaw);

  // A person's score at a frame: the segment centred there (start + segLen/2, as the frame
  // mapping), and near the ends of a track the nearest centre within segLen/2.
  const personScores = new Map<string, Float64Array>();
  const half = Math.floor(segLen / 2);
  for (let s = 0; s < segmentScores.length; s++) {
    const id = String(segs.meta.person[s]);
    let a = personScores.get(id);
    if (!a) personScores.set(id, (a = new Float64Array(nFrames).fill(NaN)));
    const c = segs.meta.startFrame[s]! + half;
    if (c < nFrames) a[c] = segmentScores[s]!;
  }
  for (const [id, a] of personScores) {
    const frames = new Set(clip.tracks.get(id)?.frames ?? []);
    const filled = Float64Array.from(a);
    for (let f = 0; f < nFrames; f++) {
      if (!Number.isNaN(a[f]!) || !frames.has(f)) continue;
      for (let d = 1; d <= half; d++) {
        const v = !Number.isNaN(a[f - d] ?? NaN) ? a[f - d]! : !Number.isNaN(a[f + d] ?? NaN) ? a[f + d]! : NaN;
        if (!Number.isNaN(v)) {
          filled[f] = v;
          break;
        }
      }
    }
    personScores.set(id, filled);
  }

  // Per-joint scores (OpenPose-18, the model's layout) mapped to COCO-17 by joint name.
  let jointScores: Map<string, Float64Array> | null = null;
  if (model.scoreJoints) {
    const joints = model.scoreJoints(segs.data);
    const V = model.input.joints;
    const toCoco = COCO17.jointNames.map((n) => OPENPOSE18.jointNames.indexOf(n));
    jointScores = new Map();
    for (let s = 0; s < segmentScores.length; s++) {
      const id = String(segs.meta.person[s]);
      let a = jointScores.get(id);
      if (!a) jointScores.set(id, (a = new Float64Array(nFrames * 17).fill(NaN)));
      const c = segs.meta.startFrame[s]! + half;
      if (c >= nFrames) continue;
      for (let j = 0; j < 17; j++) a[c * 17 + j] = joints[s * V + toCoco[j]!]!;
    }
  }

  let lo = Infinity;
  let hi = -Infinity;
  for (const v of segmentScores) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  let auc: Analysis['auc'] = null;
  let roc: Analysis['roc'] = null;
  const hasBoth = gt ? gt.some((v) => v === 1) && gt.some((v) => v === 0) : false;
  if (gt && hasBoth) {
    const neg = (a: Float64Array) => a.map((v) => -v);
    auc = { raw: rocAuc(gt, neg(frameRaw)), smoothed: rocAuc(gt, neg(frameSmoothed)) };
    const c = rocCurve(gt, neg(frameSmoothed));
    roc = { fpr: c.fpr, tpr: c.tpr };
  }
  return {
    clip,
    nFrames,
    segLen,
    segmentScores,
    frameRaw,
    frameSmoothed,
    personScores,
    jointScores,
    range: [lo, hi],
    gt,
    auc,
    roc,
    threshold: percentile(Array.from(frameSmoothed), 10),
  };
}
