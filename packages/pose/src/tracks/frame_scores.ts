import { InputError } from '@skelflow/base';
import type { SegmentMeta } from './segment.js';

/** A clip to score: its name and number of frames (the length of its ground-truth mask). */
export interface FrameClip {
  /** Clip name; segments are matched to clips by exact name (`01_0014`). */
  name: string;
  /** Frames in the clip. */
  nFrames: number;
}

/** Options of {@link scoresToFrames}. */
export interface ScoresToFramesOptions {
  /**
   * What to do with segments of a clip that is not in `clips`. Default `'error'`. The original
   * silently ignores poses without a ShanghaiTech mask; `'ignore'` reproduces that.
   */
  onUnknownClip?: 'error' | 'ignore';
  /**
   * What to do with a segment score of ±Infinity. Default `'error'` (an InputError naming clip,
   * person and frame): an infinite score means the model or its input broke, and filling it hides
   * that (one −∞ segment of a 1e30 coordinate moved a data set's AUC from 0.99 to 0.78).
   * `'fill'` reproduces the original: −∞ frames get the lowest finite frame score.
   */
  onNonFinite?: 'error' | 'fill';
}

/** Per-frame scores of one clip. */
export interface ClipFrameScores {
  /** Clip name. */
  name: string;
  /** Normality score per frame (higher = more normal), after the fill. */
  scores: Float64Array;
  /** Per frame: 0 = scored, 1 = no segment scored it (+inf → `fillValue`), 2 = its score was −inf (→ `fillValueLow`). */
  filled: Uint8Array;
}

/** Output of {@link scoresToFrames}. */
export interface FrameScores {
  /** One entry per input clip, in input order. */
  clips: ClipFrameScores[];
  /** What unscored (+inf) frames were set to: the maximum finite frame score over all clips. */
  fillValue: number;
  /** What −inf frames were set to: the minimum finite frame score over all clips. */
  fillValueLow: number;
}

/**
 * Turns per-segment normality scores into per-frame scores, exactly as STG-NF's
 * `get_dataset_scores` / `get_clip_score` (`utils/scoring_utils.py` L40-114):
 *
 * 1. Per clip, every frame starts at +inf. A segment's score lands on frame
 *    `startFrame + floor(segLen / 2)` (12 for T = 24, 8 for T = 16), the frame 12 after its first
 *    detection regardless of gaps inside the window; the frame score is the **minimum over
 *    people** (the least normal person). A clip without segments stays all +inf.
 * 2. Over all clips together, +inf frames become the **maximum finite** frame score ("most
 *    normal") and −inf frames the minimum finite one.
 *
 * The clip list is the ground truth's (in the original: the sorted GT folder), so clips with a
 * mask but no poses count, entirely filled. One deliberate difference: the original keeps one
 * array per person and lets a repeated (person, start) overwrite; here repeated segments combine
 * by minimum, which is the same for every segmentation `segmentTracks` produces.
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `utils/scoring_utils.py`.
 *
 * @param segmentScores one normality score per segment (−NLL; higher = more normal), in `meta` order
 * @param meta segment metadata from `segmentTracks` (its `segLen` sets the frame offset)
 * @param clips the clips to score, usually the GT clips (`readGtDir` output fits as is)
 * @param options see {@link ScoresToFramesOptions}
 * @throws InputError if lengths disagree, a score is NaN (or ±Infinity, unless
 *   `onNonFinite: 'fill'`), a segment belongs to an unknown clip
 *   (unless ignored), a segment's frame is beyond the clip's last frame (naming clip, person and
 *   frame: pose and mask disagree, no silent truncation), or no frame at all gets a finite score
 *
 * @example
 * ```ts
 * const segs = segmentTracks(poseClips);
 * const scores = model.score(segs); // Float32Array [S], −NLL
 * const { clips } = scoresToFrames(scores, segs.meta, gtClips);
 * ```
 */
export function scoresToFrames(
  segmentScores: ArrayLike<number>,
  meta: SegmentMeta,
  clips: readonly FrameClip[],
  options: ScoresToFramesOptions = {},
): FrameScores {
  const source = 'scoresToFrames';
  const S = meta.clip.length;
  if (segmentScores.length !== S || meta.person.length !== S || meta.startFrame.length !== S) {
    throw new InputError(
      `got ${segmentScores.length} scores for ${S} segments (meta arrays: clip ${S}, person ${meta.person.length}, startFrame ${meta.startFrame.length})`,
      { source },
    );
  }
  if (!(Number.isInteger(meta.segLen) && meta.segLen > 0)) {
    throw new InputError(`meta.segLen must be a positive integer, got ${meta.segLen}`, { source });
  }
  const half = Math.floor(meta.segLen / 2);

  const byName = new Map<string, number>();
  const out: ClipFrameScores[] = clips.map((c, i) => {
    if (!(Number.isInteger(c.nFrames) && c.nFrames >= 0)) {
      throw new InputError(`nFrames must be a non-negative integer, got ${c.nFrames}`, { source, location: `clip ${c.name}` });
    }
    if (byName.has(c.name)) throw new InputError(`clip ${JSON.stringify(c.name)} appears twice`, { source });
    byName.set(c.name, i);
    return { name: c.name, scores: new Float64Array(c.nFrames).fill(Infinity), filled: new Uint8Array(c.nFrames) };
  });
  // meta clip index → output clip index (−1 = unknown)
  const target = new Int32Array(meta.clipNames.length);
  for (let k = 0; k < meta.clipNames.length; k++) target[k] = byName.get(meta.clipNames[k]) ?? -1;

  const ignore = options.onUnknownClip === 'ignore';
  for (let s = 0; s < S; s++) {
    const ci = meta.clip[s];
    const t = ci < target.length ? target[ci] : -1;
    if (t < 0) {
      if (ignore) continue;
      const name = meta.clipNames[ci];
      throw new InputError(
        `segment ${s} belongs to clip ${JSON.stringify(name)}, which has no ground truth (pass onUnknownClip: 'ignore' to drop such segments, as the original does)`,
        { source, location: `clip ${name}, person ${meta.person[s]}` },
      );
    }
    const v = segmentScores[s];
    const frame = meta.startFrame[s] + half;
    const arr = out[t].scores;
    if (Number.isNaN(v) || typeof v !== 'number' || (!Number.isFinite(v) && options.onNonFinite !== 'fill')) {
      throw new InputError(`segment ${s} has score ${v}`, {
        source,
        location: `clip ${out[t].name}, person ${meta.person[s]}, frame ${meta.startFrame[s]}`,
      });
    }
    if (frame >= arr.length) {
      throw new InputError(
        `segment starting at frame ${meta.startFrame[s]} is scored at frame ${frame}, but the clip has only ${arr.length} frames (pose frames beyond the end of the ground truth)`,
        { source, location: `clip ${out[t].name}, person ${meta.person[s]}, frame ${frame}` },
      );
    }
    if (v < arr[frame]) arr[frame] = v;
  }

  let hi = -Infinity;
  let lo = Infinity;
  for (const c of out) {
    const a = c.scores;
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v !== Infinity && v !== -Infinity) {
        if (v > hi) hi = v;
        if (v < lo) lo = v;
      }
    }
  }
  if (hi === -Infinity) {
    throw new InputError('no frame of any clip has a finite score (no segment was scored), so there is no fill value', {
      source,
    });
  }
  for (const c of out) {
    const a = c.scores;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === Infinity) {
        a[i] = hi;
        c.filled[i] = 1;
      } else if (a[i] === -Infinity) {
        a[i] = lo;
        c.filled[i] = 2;
      }
    }
  }
  return { clips: out, fillValue: hi, fillValueLow: lo };
}
