import { InputError, ShapeError } from '@skelflow/base';
import { coco17ToOpenPose18, normalizeSegment } from '@skelflow/pose';
import type { AnomalyModel } from './contract.js';
import { isPoseSegmentInput, POSE_EVAL_SEGMENTATION } from './recipe.js';

/** What {@link StreamingScorer} needs of a model: its input spec and `scoreSegments`. Every {@link AnomalyModel} has them. */
export type StreamingModel = Pick<AnomalyModel, 'input' | 'scoreSegments'>;

/** One new detection of one tracked person, for {@link StreamingScorer.pushMany}. */
export interface StreamingFrame {
  /** The tracker's ID of the person; compared with `===` (Map semantics), so `3` and `'3'` are two tracks. */
  trackId: string | number;
  /** Frame number of the detection: a non-negative integer, strictly increasing per track. */
  frame: number;
  /** The detection's keypoints in {@link StreamingScorerOptions.keypointFormat}, `(x, y, confidence)` per joint, pixels. */
  keypoints: ArrayLike<number>;
}

/** Options of {@link StreamingScorer}. */
export interface StreamingScorerOptions {
  /**
   * `[width, height]` the pixel coordinates are divided by before centring, as in the batch
   * pipeline's normalisation. Default {@link POSE_EVAL_SEGMENTATION}'s `[856, 480]` (STG-NF's
   * `--vid_res` default, used for both datasets; only the ratio matters).
   */
  vidRes?: readonly [number, number];
  /**
   * Layout of `keypoints`. `'coco17'` (default): 17 joints × (x, y, confidence) = 51 values in
   * COCO order, converted like the pipeline with `coco17ToOpenPose18` (neck = mean of the shoulders,
   * OpenPose order). `'openpose18'`: 18 × 3 = 54 values already in OpenPose-18 order.
   */
  keypointFormat?: 'coco17' | 'openpose18';
  /**
   * Tolerated missing frames per window (the original's `is_seg_continuous`, `segmentTracks`'
   * `maxMissing`). Default {@link POSE_EVAL_SEGMENTATION}'s 2: the window of the last `segLen`
   * detections is scored only if at least `segLen − maxMissing` of them lie in
   * `[firstFrame, firstFrame + segLen)`.
   */
  maxMissing?: number;
}

/** Per-track state: the last `segLen` detections, each written twice so the window is contiguous. */
interface TrackState {
  /** `[2·segLen, 18, 2]` raw OpenPose-18 (x, y), float32; slot `i` and `i + segLen` hold the same detection. */
  xy: Float32Array;
  /** `[2·segLen]` frame numbers, laid out like `xy`. */
  frames: Float64Array;
  /** Slot the next detection is written to, in `[0, segLen)`. */
  head: number;
  /** Detections pushed so far, capped at `segLen`. */
  filled: number;
  /** Frame number of the newest detection. */
  last: number;
}

const V = 18;
const XY = V * 2;

const trackName = (id: string | number): string => String(id);

/**
 * Streaming (live) scoring with any {@link AnomalyModel} on pose segments: takes one new detection
 * per tracked person at a time and returns the model's normality score of the newest window of
 * `segLen` detections of that person, as a pose estimator + tracker produce them frame by frame.
 *
 * The windows are the evaluation segments of the model's family: `poseEvalSegments` (what
 * every family built with `poseSegmentFamily` uses — STG-NF, pca-gaussian), i.e.
 * `segmentTracks` with {@link POSE_EVAL_SEGMENTATION}, normalised by the same `normalizeSegment`
 * of `@skelflow/pose`. The model must therefore take `[2, segLen, 18]` OpenPose-18 segments
 * (its `input`); `input.segLen` is the window length.
 *
 * Per track it keeps a ring buffer of the last `segLen` detections (raw OpenPose-18 x, y in
 * float32, and their frame numbers). A push converts the one new detection (COCO-17 → OpenPose-18
 * with `coco17ToOpenPose18`, float32 cast), checks the window's continuity with the original's rule in
 * O(1), normalises that one window with the pipeline's `normalizeSegment` into a preallocated
 * buffer and runs `model.scoreSegments` on it; nothing else of the history is recomputed. The model's
 * own per-segment work has to be redone per window, because the per-segment normalisation (mean and
 * std over the whole window) changes every input value when the window slides.
 * {@link StreamingScorer.pushMany} scores the ready windows of many tracks in one batched model call.
 * The class holds no tensors itself (a tfjs model's `scoreSegments` tidies its own).
 *
 * Scores equal the batch pipeline's (`family.evalSegments(clips, model.input)` +
 * `model.scoreSegments`) for every window the batch pipeline produces. One difference: the
 * original's segmentation never uses the last possible window of a track (`num_segs =
 * ceil((N − segLen)/stride)`, see `continuousWindowStarts`), while a stream does not know which
 * detection is a track's last, so the scorer scores every window, that last one included (and a
 * track of exactly `segLen` detections gets one score, where the batch path gives none). The
 * continuity rule is the original's: the window is the last `segLen` detections, kept when at least
 * `segLen − maxMissing` of them fall in `[firstFrame, firstFrame + segLen)`; the remaining ≤ `maxMissing`
 * detections may lie arbitrarily far away.
 *
 * Errors: invalid input throws before any state changes, so a caller may catch, log and continue
 * (for {@link StreamingScorer.pushMany}: if any entry is invalid, no entry is applied). A window
 * whose y coordinates do not vary (std(y) = 0, e.g. all-zero keypoints for `segLen` frames)
 * cannot be normalised; the detection is then kept and an `InputError` names the track and frame,
 * as the batch path does.
 *
 * References: Hirschorn & Avidan, "Normalizing Flows for Human Pose Anomaly Detection", ICCV 2023
 * (github orhir/STG-NF), `utils/pose_utils.py` `split_pose_to_segments` / `is_seg_continuous`,
 * `utils/data_utils.py` `normalize_pose`, `dataset.py` `keypoints17_to_coco18`.
 *
 * @param model a trained model taking `[2, segLen, 18]` OpenPose-18 segments (its `input`)
 * @param options see {@link StreamingScorerOptions}
 * @throws InputError on invalid options; ShapeError if the model's input is not `[2, T, 18]` OpenPose-18
 *
 * @example
 * ```ts
 * import { StreamingScorer } from '@skelflow/model';
 * import { stgNfFamily } from '@skelflow/stg-nf';
 *
 * const model = await stgNfFamily.load('ShanghaiTech_85_9.json'); // any registered family's model
 * const scorer = new StreamingScorer(model);
 * const kp = Float32Array.from({ length: 51 }, (_, i) => 300 + 10 * Math.floor(i / 3) + (i % 3)); // COCO-17 (x, y, conf)
 * for (let frame = 0; frame < 30; frame++) console.log(scorer.push('person 1', frame, kp)); // null ×23, then scores
 * scorer.end('person 1');
 * ```
 */
export class StreamingScorer {
  /** The window length T (the model's `segLen`). */
  readonly segLen: number;
  private readonly model: StreamingModel;
  private readonly vidRes: readonly [number, number];
  private readonly format: 'coco17' | 'openpose18';
  private readonly inValues: number;
  private readonly need: number;
  private readonly per: number;
  private readonly tracks = new Map<string | number, TrackState>();
  /** Float32 copy of one detection's input keypoints (the pipeline's float32 cast). */
  private readonly kp: Float32Array;
  /** Model input of up to `capacity` windows, `[n, 2, segLen, 18]`. */
  private batch: Float32Array;
  private readonly one: Float32Array;

  constructor(model: StreamingModel, options: StreamingScorerOptions = {}) {
    const { channels, joints, segLen, layout } = model.input;
    if (!isPoseSegmentInput(model.input)) {
      throw new ShapeError(`the model takes [B, ${channels}, ${segLen}, ${joints}] ${layout} segments; streaming produces [B, 2, T, 18] (x, y; OpenPose-18)`, {
        source: 'StreamingScorer',
        location: 'model',
      });
    }
    const vidRes = options.vidRes ?? POSE_EVAL_SEGMENTATION.vidRes;
    if (!(vidRes.length === 2 && Number.isFinite(vidRes[0]) && vidRes[0] > 0 && Number.isFinite(vidRes[1]) && vidRes[1] > 0)) {
      throw new InputError(`vidRes must be two positive numbers, got [${String(vidRes)}]`, { source: 'StreamingScorer', location: 'options.vidRes' });
    }
    const format = options.keypointFormat ?? 'coco17';
    if (format !== 'coco17' && format !== 'openpose18') {
      throw new InputError(`keypointFormat must be 'coco17' or 'openpose18', got ${JSON.stringify(format)}`, {
        source: 'StreamingScorer',
        location: 'options.keypointFormat',
      });
    }
    const maxMissing = options.maxMissing ?? POSE_EVAL_SEGMENTATION.maxMissing;
    if (!(Number.isInteger(maxMissing) && maxMissing >= 0)) {
      throw new InputError(`maxMissing must be an integer ≥ 0, got ${maxMissing}`, { source: 'StreamingScorer', location: 'options.maxMissing' });
    }
    this.model = model;
    this.segLen = segLen;
    this.vidRes = [vidRes[0], vidRes[1]];
    this.format = format;
    this.inValues = (format === 'coco17' ? 17 : 18) * 3;
    this.need = segLen - maxMissing;
    this.per = 2 * segLen * V;
    this.kp = new Float32Array(this.inValues);
    this.one = new Float32Array(this.per);
    this.batch = this.one;
  }

  /** Number of tracks currently buffered (pushed and not ended with {@link StreamingScorer.end}). */
  get activeTracks(): number {
    return this.tracks.size;
  }

  /**
   * One new detection of one track → the model's normality score (higher = more normal; STG-NF:
   * −NLL bits/dim, pca-gaussian: log-density) of
   * the window of this track's last `segLen` detections, or `null` when the track has fewer than
   * `segLen` detections yet or that window is not continuous (more than `maxMissing` missing frames).
   *
   * @param trackId the tracker's person ID
   * @param frame the detection's frame number (integer ≥ 0, greater than the track's previous one)
   * @param keypoints 51 (`coco17`) or 54 (`openpose18`) finite values, `(x, y, confidence)` per joint
   * @throws InputError on a wrong value count, a non-finite value, a non-integer or non-increasing
   *   frame (nothing is changed), or a window that cannot be normalised (the detection is kept)
   */
  push(trackId: string | number, frame: number, keypoints: ArrayLike<number>): number | null {
    const source = 'StreamingScorer.push';
    this.validate(trackId, frame, keypoints, this.tracks.get(trackId)?.last, source, '');
    const st = this.append(trackId, frame, keypoints);
    if (!this.ready(st)) return null;
    this.normalizeInto(st, this.one, 0, trackId, frame, source);
    return this.model.scoreSegments(this.one)[0]!;
  }

  /**
   * One new detection for each of many tracks (typically all people of one video frame), the
   * ready windows scored in **one** batched model call.
   *
   * @param frames one entry per track; a track may appear once per call
   * @returns per entry, aligned with `frames`: the score as {@link StreamingScorer.push} would return it, or `null`
   * @throws InputError as {@link StreamingScorer.push}, or if a track appears twice; when any entry is invalid no
   *   entry is applied
   */
  pushMany(frames: readonly StreamingFrame[]): (number | null)[] {
    const source = 'StreamingScorer.pushMany';
    if (!Array.isArray(frames)) throw new InputError('expected an array of { trackId, frame, keypoints }', { source });
    const n = frames.length;
    const seen = new Set<string | number>();
    for (let i = 0; i < n; i++) {
      const f = frames[i];
      if (f === null || typeof f !== 'object') throw new InputError(`entry ${i} is not a { trackId, frame, keypoints } object`, { source });
      if (seen.has(f.trackId)) {
        throw new InputError(`track ${trackName(f.trackId)} appears twice in one call (entry ${i}); push one frame per track`, {
          source,
          location: `track ${trackName(f.trackId)}, frame ${f.frame}`,
        });
      }
      seen.add(f.trackId);
      this.validate(f.trackId, f.frame, f.keypoints, this.tracks.get(f.trackId)?.last, source, ` (entry ${i})`);
    }
    const out = new Array<number | null>(n).fill(null);
    const slot = new Int32Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const { trackId, frame, keypoints } = frames[i]!;
      const st = this.append(trackId, frame, keypoints);
      if (this.ready(st)) slot[k++] = i;
    }
    if (k === 0) return out;
    if (this.batch.length < k * this.per) this.batch = new Float32Array(Math.max(k, 2 * (this.batch.length / this.per)) * this.per);
    for (let j = 0; j < k; j++) {
      const f = frames[slot[j]!]!;
      this.normalizeInto(this.tracks.get(f.trackId)!, this.batch, j * this.per, f.trackId, f.frame, source);
    }
    const scores = this.model.scoreSegments(this.batch.subarray(0, k * this.per));
    for (let j = 0; j < k; j++) out[slot[j]!] = scores[j]!;
    return out;
  }

  /** Forgets a track and frees its buffer; unknown IDs are ignored. A later push with the ID starts a new track. */
  end(trackId: string | number): void {
    this.tracks.delete(trackId);
  }

  private validate(
    trackId: string | number,
    frame: number,
    keypoints: ArrayLike<number>,
    last: number | undefined,
    source: string,
    entry: string,
  ): void {
    if (typeof trackId !== 'string' && typeof trackId !== 'number') {
      throw new InputError(`trackId must be a string or a number, got ${typeof trackId}${entry}`, { source });
    }
    const location = `track ${trackName(trackId)}, frame ${frame}`;
    if (!(typeof frame === 'number' && Number.isSafeInteger(frame) && frame >= 0)) {
      throw new InputError(`frame must be a non-negative integer, got ${String(frame)}${entry}`, { source, location });
    }
    if (last !== undefined && frame <= last) {
      throw new InputError(`frames must be strictly increasing per track, got ${frame} after ${last}${entry}`, { source, location });
    }
    if (keypoints === null || typeof keypoints !== 'object' || typeof keypoints.length !== 'number') {
      throw new InputError(`keypoints must be an array of numbers${entry}`, { source, location });
    }
    if (keypoints.length !== this.inValues) {
      throw new InputError(
        `expected ${this.inValues} keypoint values (${this.format === 'coco17' ? 17 : 18} joints × x, y, confidence; keypointFormat '${this.format}'), got ${keypoints.length}${entry}`,
        { source, location },
      );
    }
    const kp = this.kp;
    for (let i = 0; i < this.inValues; i++) {
      const v = keypoints[i]!;
      kp[i] = v;
      if (!(typeof v === 'number' && Number.isFinite(kp[i]))) {
        const joint = Math.floor(i / 3);
        throw new InputError(
          `keypoint value ${i} (joint ${joint}, ${['x', 'y', 'confidence'][i % 3]}) is ${String(v)}${typeof v === 'number' && Number.isFinite(v) ? ' (overflows float32)' : ''}, expected a finite number${entry}`,
          { source, location },
        );
      }
    }
  }

  /** Stores one validated detection (re-read from `keypoints`: in `pushMany`, `validate` has run for later entries since). */
  private append(trackId: string | number, frame: number, keypoints: ArrayLike<number>): TrackState {
    const T = this.segLen;
    let st = this.tracks.get(trackId);
    if (st === undefined) {
      st = { xy: new Float32Array(2 * T * XY), frames: new Float64Array(2 * T), head: 0, filled: 0, last: -1 };
      this.tracks.set(trackId, st);
    }
    const kp = this.kp;
    for (let i = 0; i < this.inValues; i++) kp[i] = keypoints[i]!;
    const op18 = this.format === 'coco17' ? coco17ToOpenPose18(kp) : kp; // [18, 3]
    const h = st.head;
    const a = h * XY;
    const b = (h + T) * XY;
    for (let j = 0; j < V; j++) {
      const x = op18[3 * j]!;
      const y = op18[3 * j + 1]!;
      st.xy[a + 2 * j] = x;
      st.xy[a + 2 * j + 1] = y;
      st.xy[b + 2 * j] = x;
      st.xy[b + 2 * j + 1] = y;
    }
    st.frames[h] = frame;
    st.frames[h + T] = frame;
    st.head = h + 1 === T ? 0 : h + 1;
    if (st.filled < T) st.filled++;
    st.last = frame;
    return st;
  }

  /** Whether the track's newest window exists and is continuous (the original's rule, O(1) since frames are sorted). */
  private ready(st: TrackState): boolean {
    if (st.filled < this.segLen) return false;
    if (this.need <= 0) return true;
    // The window (oldest → newest) is slots head … head + segLen − 1 of the doubled ring.
    const first = st.frames[st.head]!;
    return st.frames[st.head + this.need - 1]! < first + this.segLen;
  }

  private normalizeInto(st: TrackState, out: Float32Array, outOffset: number, trackId: string | number, frame: number, source: string): void {
    const a = st.head * XY;
    normalizeSegment(st.xy.subarray(a, a + this.segLen * XY), {
      joints: V,
      channels: 2,
      vidRes: this.vidRes,
      out,
      outOffset,
      source,
      location: `track ${trackName(trackId)}, frame ${frame} (window from frame ${st.frames[st.head]})`,
    });
  }
}
