import { InputError } from '@skelflow/base';
import { COCO17_FLIP } from '../layouts/skeletons.js';
import { coco17ToOpenPose18, OPENPOSE18_FLIP } from '../layouts/convert.js';
import { bodyScaleError, normalizeBodyInto, SEGMENT_NORMALIZATIONS, type SegmentNormalization } from './normalize_body.js';
import { normalizeSegmentInto, resolveVidRes, spreadError, type NormalizeOptions } from './normalize.js';
import { coco17Values, type PersonTrack, type PoseClip, type PoseDims } from './types.js';

/** Joint layouts `segmentTracks` produces: OpenPose-18 (COCO-17 plus STG-NF's synthetic neck) or plain COCO-17. */
export type SegmentLayout = 'openpose18' | 'coco17';

/** Options of {@link segmentTracks}. */
export interface SegmentOptions extends NormalizeOptions {
  /** Detections per segment T. Default 24 (ShanghaiTech); the UBnormal checkpoints use 16. */
  segLen?: number;
  /** Step between window starts, in detections. Default 1 (the original's test setting; it trains with 6). */
  stride?: number;
  /** Frames of `[start, start + segLen)` that may be missing from a window. Default 2. */
  maxMissing?: number;
  /** Apply the normalisation. Default `true`; `false` keeps the float32 coordinates (flip still applies). */
  normalize?: boolean;
  /**
   * Joint layout of the segments: `'openpose18'` (default; V = 18, the neck appended as the mean
   * of the shoulders and the joints in OpenPose order, as STG-NF) or `'coco17'` (V = 17, COCO
   * order, no synthetic neck).
   */
  layout?: SegmentLayout;
  /**
   * How each segment is normalised (see {@link SegmentNormalization}): default `'stg-nf'` for 2-D
   * clips (STG-NF's `normalize_pose`, bit-identical to the original) and `'segment'` for 3-D
   * clips; `'frame'` is NFlowAD's per-frame joint standardisation. `'stg-nf'` is 2-D only.
   */
  normalization?: SegmentNormalization;
}

/**
 * Per-segment metadata as parallel typed arrays (one entry per segment, in segment order), the
 * original's `[scene, clip, person, start_frame]` rows without one object per segment.
 */
export interface SegmentMeta {
  /** The segment length T the segments were cut with; `scoresToFrames` needs it. */
  segLen: number;
  /** Names of all input clips, in input order (clips without segments included). */
  clipNames: string[];
  /** Index into `clipNames` of each segment's clip. */
  clip: Uint32Array;
  /** Numeric person ID of each segment. */
  person: Int32Array;
  /** Frame number of each segment's first detection (the original's `start_frame`). */
  startFrame: Int32Array;
  /** Frame number of each segment's last detection (information only; the original does not keep it). */
  endFrame: Int32Array;
}

/** Output of {@link segmentTracks}. */
export interface PoseSegments {
  /**
   * Segments in the model's NCHW layout `[S, C, T, V]` flattened: S segments, C = 2 channels
   * (x, y) for 2-D clips or 3 (x, y, z) for 3-D clips, one more with `withConfidence`
   * (confidence last), T = `segLen` detections, V = 18 OpenPose joints (17 with `layout: 'coco17'`). Element `(s, c, t, v)` is at `((s·C + c)·T + t)·V + v`, so
   * `tf.tensor4d(data, shape)` is a ready model batch, and segment `s` is the contiguous
   * `data.subarray(s·C·T·V, (s+1)·C·T·V)`.
   */
  data: Float32Array;
  /** `[S, C, T, V]`. */
  shape: [number, number, number, number];
  /** Which clip/person/frames each segment comes from. */
  meta: SegmentMeta;
  /** Minimum detection `scores` over each segment's detections (what `--model_confidence` multiplies the NLL by). */
  minScore: Float32Array;
}

class GrowInt32 {
  a = new Int32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  done(): Int32Array {
    return this.a.slice(0, this.n);
  }
}

function checkInt(v: number, name: string, min: number): number {
  if (!(Number.isInteger(v) && v >= min)) {
    throw new InputError(`${name} must be an integer ≥ ${min}, got ${v}`, { source: 'segmentTracks' });
  }
  return v;
}

/**
 * Start indices (into `frames`) of the windows STG-NF keeps for one person, exactly as
 * `split_pose_to_segments` + `is_seg_continuous` (`utils/pose_utils.py` L139-180):
 *
 * - `numSegs = ceil((N − segLen) / stride)` candidate starts `i·stride`, i < numSegs. This is one
 *   short of all windows (the last possible one is never used) and gives nothing for N ≤ segLen.
 * - A window is the next `segLen` **detections** (no padding, no interpolation), kept when at
 *   least `segLen − maxMissing` of their frame numbers lie in `[startFrame, startFrame + segLen)`.
 *   The remaining ≤ maxMissing detections may lie arbitrarily far away: after a long gap a window
 *   such as frames `[5, 6, 7, 10..29, 83]` is accepted.
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `utils/pose_utils.py`.
 *
 * @param frames strictly increasing frame numbers of one person's detections
 * @param segLen window length; `stride` step between candidate starts; `maxMissing` tolerated misses
 * @returns kept start indices, ascending
 *
 * @example
 * ```ts
 * continuousWindowStarts([0, 1, 2, 3, 4, 5], 3, 1, 0); // Int32Array [0, 1, 2] (start 3 never tried)
 * ```
 */
export function continuousWindowStarts(
  frames: ArrayLike<number>,
  segLen = 24,
  stride = 1,
  maxMissing = 2,
): Int32Array {
  const n = frames.length;
  const numSegs = Math.max(0, Math.ceil((n - segLen) / stride));
  const kept = new GrowInt32();
  const need = segLen - maxMissing;
  // Frames are sorted and unique, so the detections of window s that fall in
  // [frames[s], frames[s] + segLen) are a prefix of it; `hi` (first detection at or beyond the
  // end of that range) only moves forward as s grows.
  let hi = 0;
  for (let i = 0; i < numSegs; i++) {
    const s = i * stride;
    const end = frames[s] + segLen;
    if (hi < s) hi = s;
    while (hi < n && frames[hi] < end) hi++;
    const inRange = Math.min(hi, s + segLen) - s;
    if (inRange >= need) kept.push(s);
  }
  return kept.done();
}

function checkTrack(t: PersonTrack, source: string, person: string, dims: PoseDims): void {
  const n = t.frames.length;
  const values = coco17Values(dims);
  if (t.keypoints.length !== n * values || t.scores.length !== n) {
    throw new InputError(
      `track has ${n} frames but ${t.keypoints.length} keypoint values and ${t.scores.length} scores (expected ${n * values} for ${dims}-D tracks, and ${n})`,
      { source, location: `person ${person}` },
    );
  }
  for (let j = 0; j < n; j++) {
    const f = t.frames[j];
    if (!(Number.isInteger(f) && f >= 0 && f <= 0x7fffffff) || (j > 0 && f <= t.frames[j - 1])) {
      throw new InputError(`frames must be strictly increasing non-negative integers, got ${f} after ${t.frames[j - 1]}`, {
        source,
        location: `person ${person}, frame ${f}`,
      });
    }
  }
}

/**
 * Cuts the tracks of one or more clips into STG-NF segments and prepares them as model input:
 * COCO-17 → OpenPose-18 ({@link coco17ToOpenPose18}; or COCO-17 kept with `layout: 'coco17'`),
 * float32 cast, optional flip, per-segment normalisation ({@link normalizeSegment}, or the
 * `'segment'` / `'frame'` normalisations of {@link SegmentNormalization}) and NCHW layout.
 *
 * 2-D and 3-D: the clips' `dims` (all equal) decide the coordinate channels — x, y for 2-D
 * tracks, x, y, z for 3-D tracks (`PoseClip.dims === 3`), so 3-D clips give `[S, 3, T, V]`
 * (`[S, 4, T, V]` with `withConfidence`). With `flipHorizontal`, 2-D segments get STG-NF's
 * x → −x without a joint swap; 3-D segments are mirrored (x → −x) **and** their left and right
 * joints swapped, so the mirror image is a possible body (see `normalizeBodyInto`).
 *
 * Segment order is the original's: clips in the given order (read them sorted by file name, as
 * `gen_dataset` does), people in numeric ID order, windows by start. See
 * {@link continuousWindowStarts} for which windows are kept (including the original's
 * off-by-one). Runs in two passes over typed arrays (count, then fill one preallocated buffer), so
 * 100k segments cost one 35 MB allocation and no per-segment objects.
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `dataset.py` `gen_dataset` /
 * `PoseSegDataset`, `utils/pose_utils.py` `gen_clip_seg_data_np` / `split_pose_to_segments`.
 *
 * @param input one clip or a list of clips (names must be unique)
 * @param options see {@link SegmentOptions}
 * @returns data `[S, C, T, V]` plus per-segment metadata, see {@link PoseSegments}
 * @throws InputError on invalid options, duplicate clip names, clips of different `dims` (mixed
 *   2-D/3-D data), `'stg-nf'` normalisation of 3-D clips, an inconsistent hand-built track, or a
 *   segment that cannot be normalised (naming clip, person and frame)
 *
 * @example
 * ```ts
 * const clips = [{ name: '01_0014', tracks: parsePoseTrackJson(text, '01_0014_alphapose_tracked_person.json') }];
 * const { data, shape, meta } = segmentTracks(clips, { segLen: 24 }); // shape [S, 2, 24, 18]
 * const batch = tf.tensor4d(data, shape);
 * ```
 */
export function segmentTracks(input: PoseClip | readonly PoseClip[], options: SegmentOptions = {}): PoseSegments {
  const clips: readonly PoseClip[] = Array.isArray(input) ? input : [input as PoseClip];
  const segLen = checkInt(options.segLen ?? 24, 'segLen', 1);
  const stride = checkInt(options.stride ?? 1, 'stride', 1);
  const maxMissing = checkInt(options.maxMissing ?? 2, 'maxMissing', 0);
  const normalize = options.normalize ?? true;
  const withConfidence = options.withConfidence ?? false;
  const flip = options.flipHorizontal ?? false;
  const [width, height] = resolveVidRes(options.vidRes, 'segmentTracks');
  const layout = options.layout ?? 'openpose18';
  if (layout !== 'openpose18' && layout !== 'coco17') {
    throw new InputError(`layout must be 'openpose18' or 'coco17', got ${JSON.stringify(layout)}`, { source: 'segmentTracks' });
  }
  let dims = 2 as PoseDims;
  clips.forEach((c, i) => {
    const d = c.dims ?? 2;
    if (d !== 2 && d !== 3) throw new InputError(`dims must be 2 or 3, got ${String(d)}`, { source: c.source ?? c.name });
    if (i === 0) dims = d;
    else if (d !== dims) {
      throw new InputError(`mixed 2-D/3-D data: clip ${JSON.stringify(c.name)} is ${d}-D but ${JSON.stringify(clips[0]!.name)} is ${dims}-D`, { source: c.source ?? c.name });
    }
  });
  const normalization = options.normalization ?? (dims === 2 ? 'stg-nf' : 'segment');
  if (!SEGMENT_NORMALIZATIONS.includes(normalization)) {
    throw new InputError(`normalization must be one of ${SEGMENT_NORMALIZATIONS.join(', ')}, got ${JSON.stringify(normalization)}`, { source: 'segmentTracks' });
  }
  if (normalize && normalization === 'stg-nf' && dims === 3) {
    throw new InputError(`'stg-nf' normalisation divides image coordinates by the video size and is 2-D only; 3-D clips take 'segment' or 'frame'`, { source: 'segmentTracks' });
  }
  const cin = dims + 1;
  const C = dims + (withConfidence ? 1 : 0);
  const V = layout === 'coco17' ? 17 : 18;
  const segSize = C * segLen * V;
  // STG-NF's 2-D flip negates x without a swap; a 3-D mirror also swaps left and right.
  const flipMap = flip && (dims === 3 || normalization !== 'stg-nf') ? (dims === 3 ? (V === 18 ? OPENPOSE18_FLIP : COCO17_FLIP) : [...Array(V).keys()]) : null;

  const names = new Set<string>();
  for (const c of clips) {
    if (names.has(c.name)) throw new InputError(`clip name ${JSON.stringify(c.name)} appears twice`, { source: 'segmentTracks' });
    names.add(c.name);
  }

  // Pass 1: which windows are kept.
  interface Job {
    clip: number;
    personId: number;
    personKey: string;
    track: PersonTrack;
    starts: Int32Array;
  }
  const jobs: Job[] = [];
  let S = 0;
  clips.forEach((clip, ci) => {
    const source = clip.source ?? clip.name;
    const keys = [...clip.tracks.keys()];
    for (const k of keys) {
      if (!/^\d+$/.test(k) || Number(k) > 0x7fffffff) {
        throw new InputError(`person key ${JSON.stringify(k)} is not a non-negative integer`, { source, location: `person ${k}` });
      }
    }
    keys.sort((a, b) => Number(a) - Number(b));
    for (const k of keys) {
      const track = clip.tracks.get(k)!;
      checkTrack(track, source, k, dims);
      const starts = continuousWindowStarts(track.frames, segLen, stride, maxMissing);
      if (starts.length > 0) {
        jobs.push({ clip: ci, personId: Number(k), personKey: k, track, starts });
        S += starts.length;
      }
    }
  });

  // Pass 2: fill.
  const data = new Float32Array(S * segSize);
  const clipIdx = new Uint32Array(S);
  const person = new Int32Array(S);
  const startFrame = new Int32Array(S);
  const endFrame = new Int32Array(S);
  const minScore = new Float32Array(S);
  let s = 0;
  for (const job of jobs) {
    const { track, starts } = job;
    const op18 = V === 18 ? coco17ToOpenPose18(track.keypoints, { channels: cin }) : track.keypoints; // [N, V, cin]
    const frames = track.frames;
    const source = clips[job.clip].source ?? clips[job.clip].name;
    for (let w = 0; w < starts.length; w++, s++) {
      const st = starts[w];
      clipIdx[s] = job.clip;
      person[s] = job.personId;
      startFrame[s] = frames[st];
      endFrame[s] = frames[st + segLen - 1];
      let m = Infinity;
      for (let t = 0; t < segLen; t++) if (track.scores[st + t] < m) m = track.scores[st + t];
      minScore[s] = m;
      const off = s * segSize;
      if (normalize && normalization === 'stg-nf') {
        const sd = normalizeSegmentInto(op18, st * V * 3, segLen, V, 3, data, off, width, height, withConfidence, flip);
        if (!(sd > 0) || !Number.isFinite(sd)) {
          throw spreadError(sd, source, `person ${job.personKey}, segment starting at frame ${frames[st]}`);
        }
      } else if (normalize) {
        const sc = normalizeBodyInto(op18, st * V * cin, segLen, V, cin, dims, normalization as 'segment' | 'frame', data, off, withConfidence, flipMap);
        if (!(sc > 0) || !Number.isFinite(sc)) {
          throw bodyScaleError(sc, normalization as 'segment' | 'frame', source, `person ${job.personKey}, segment starting at frame ${frames[st]}`);
        }
      } else {
        const n = segLen * V;
        for (let t = 0; t < segLen; t++) {
          for (let v = 0; v < V; v++) {
            const i = t * V + v;
            const p = (st * V + t * V + (flipMap ? flipMap[v]! : v)) * cin;
            data[off + i] = flip ? -op18[p]! : op18[p]!;
            for (let d = 1; d < dims; d++) data[off + d * n + i] = op18[p + d]!;
            if (withConfidence) data[off + dims * n + i] = op18[p + dims]!;
          }
        }
      }
    }
  }

  return {
    data,
    shape: [S, C, segLen, V],
    meta: { segLen, clipNames: clips.map((c) => c.name), clip: clipIdx, person, startFrame, endFrame },
    minScore,
  };
}

/**
 * Expands {@link SegmentMeta} into one object per segment, for inspection and small data sets
 * (the pipeline itself never needs it).
 *
 * @param meta segment metadata from {@link segmentTracks}
 * @returns `{ clip, person, startFrame, endFrame }` per segment, in segment order
 *
 * @example
 * ```ts
 * segmentMetaList(segmentTracks(clips).meta)[0]; // { clip: '01_0014', person: 4, startFrame: 34, endFrame: 59 }
 * ```
 */
export function segmentMetaList(
  meta: SegmentMeta,
): { clip: string; person: number; startFrame: number; endFrame: number }[] {
  const out = new Array<{ clip: string; person: number; startFrame: number; endFrame: number }>(meta.clip.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = { clip: meta.clipNames[meta.clip[i]], person: meta.person[i], startFrame: meta.startFrame[i], endFrame: meta.endFrame[i] };
  }
  return out;
}
