import { InputError } from '@skelflow/base';
import { FRAME_HEIGHT, FRAME_WIDTH } from '../camera/pinhole.js';

/** The video resolution STG-NF divides by: its `--vid_res` default, used for both datasets ({@link FRAME_WIDTH} × {@link FRAME_HEIGHT}). */
export const STGNF_VID_RES: readonly [number, number] = Object.freeze([FRAME_WIDTH, FRAME_HEIGHT]) as readonly [number, number];

/** Options shared by {@link normalizeSegment} and `segmentTracks`. */
export interface NormalizeOptions {
  /**
   * `[width, height]` the pixel coordinates are divided by before centring. Default `[856, 480]`:
   * the original never passes `--vid_res`, so even UBnormal (1080×720) uses 856×480. Because
   * both channels are then divided by the std of y, only the ratio width/height matters.
   */
  vidRes?: readonly [number, number];
  /** Append the keypoint confidence as a third, unnormalised channel. Default `false` (the model uses x, y only). */
  withConfidence?: boolean;
  /**
   * Training augmentation of the original (`trans_list[1]`): `x → −x` on the raw pixel
   * coordinates before normalisation, **without** swapping left and right joints. After the
   * mean subtraction this is exactly a sign flip of the normalised x channel. Default `false`.
   */
  flipHorizontal?: boolean;
}

/** Options of {@link normalizeSegment}. */
export interface NormalizeSegmentOptions extends NormalizeOptions {
  /** Joints per frame V in the input. Default 18. */
  joints?: number;
  /** Values per joint in the input (x, y[, confidence]). Default 3. */
  channels?: number;
  /** Write into this array instead of allocating; its `[outOffset, outOffset + C·T·V)` range is overwritten. */
  out?: Float32Array;
  /** Start of the segment in `out`. Default 0. */
  outOffset?: number;
  /** Names the input in error messages. */
  source?: string;
  /** Names the segment in error messages (e.g. `person 3, frame 120`). */
  location?: string;
}

let scratch = new Float64Array(2 * 24 * 18);

/**
 * Normalises one raw segment laid out `[T, V, Cin]` into `out` at `outOffset` as `[Cout, T, V]`.
 * Internal fast path for `segmentTracks` (no allocation, no option objects per segment).
 * Returns std(y), or a non-positive / non-finite value (and leaves `out` untouched) when the
 * segment cannot be normalised; the caller throws with its own location, so no message string
 * is built per segment.
 */
export function normalizeSegmentInto(
  src: ArrayLike<number>,
  srcOffset: number,
  T: number,
  V: number,
  cin: number,
  out: Float32Array,
  outOffset: number,
  width: number,
  height: number,
  withConfidence: boolean,
  flip: boolean,
): number {
  const n = T * V;
  if (scratch.length < 2 * n) scratch = new Float64Array(2 * n);
  const xs = scratch;
  const fround = Math.fround;
  // The original casts the raw coordinates to float32 (dataset.py L223) and then does all of
  // normalize_pose in float64 (float32 / int64 array promotes to float64); mirror both steps.
  const sign = flip ? -1 : 1;
  let sx = 0;
  let sy = 0;
  for (let i = 0, p = srcOffset; i < n; i++, p += cin) {
    const x = (sign * fround(src[p])) / width;
    const y = fround(src[p + 1]) / height;
    xs[i] = x;
    xs[n + i] = y;
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  // np.std of the already centred y re-centres on their (≈0) mean m: mean((d − m)²) = mean(d²) − m².
  let sd1 = 0;
  let sd2 = 0;
  for (let i = n; i < 2 * n; i++) {
    const d = xs[i] - my;
    sd1 += d;
    sd2 += d * d;
  }
  const mc = sd1 / n;
  const sd = Math.sqrt(sd2 / n - mc * mc);
  if (!(sd > 0) || !Number.isFinite(sd)) return sd;
  const ox = outOffset;
  const oy = outOffset + n;
  for (let i = 0; i < n; i++) {
    out[ox + i] = (xs[i] - mx) / sd;
    out[oy + i] = (xs[n + i] - my) / sd;
  }
  if (withConfidence) {
    const oc = outOffset + 2 * n;
    for (let i = 0, p = srcOffset + 2; i < n; i++, p += cin) out[oc + i] = src[p];
  }
  return sd;
}

/** The error `normalizeSegmentInto`'s callers throw for an unusable std(y). */
export function spreadError(sd: number, source: string | undefined, location: string | undefined): InputError {
  return new InputError(
    `cannot normalise: the y coordinates have ${sd === 0 ? 'zero spread (all equal)' : `non-finite spread (${sd})`}, so STG-NF's division by std(y) is undefined`,
    { source, location },
  );
}

/** Checks `vidRes` once so the per-segment loop does not have to. */
export function resolveVidRes(vidRes: readonly [number, number] | undefined, source: string): [number, number] {
  const [w, h] = vidRes ?? STGNF_VID_RES;
  if (!(Number.isFinite(w) && w > 0 && Number.isFinite(h) && h > 0)) {
    throw new InputError(`vidRes must be two positive numbers, got [${String(w)}, ${String(h)}]`, { source });
  }
  return [w, h];
}

/**
 * STG-NF's per-segment pose normalisation (`normalize_pose`, applied in `PoseSegDataset.__getitem__`):
 *
 * `x' = (x/W − mean_{T,V}(x/W)) / std_{T,V}(y/H)`, `y' = (y/H − mean_{T,V}(y/H)) / std_{T,V}(y/H)`
 *
 * with `[W, H] = vidRes` (default 856×480) and the population std (ddof 0) of **y only** for both
 * channels, so the aspect ratio of the pose is kept. The confidence channel (optional) is copied
 * unchanged. Raw values are first rounded to float32 and the arithmetic is float64, stored as
 * float32, exactly the precision path of the original.
 *
 * The input is one segment in the raw detection layout `[T, V, Cin]` (frame, joint, x/y/conf:
 * what `coco17ToOpenPose18` returns for consecutive detections); the output is channel-first
 * `[Cout, T, V]` with `Cout = 2` (x, y) or 3 with `withConfidence`: one sample of the model's
 * NCHW input.
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `utils/data_utils.py` `normalize_pose`
 * (L132-157), `dataset.py` `PoseSegDataset.__getitem__`; flip: `data_utils.py` `PoseTransform`.
 *
 * @param raw `[T, V, Cin]` flattened; T is inferred from the length
 * @param options see {@link NormalizeSegmentOptions}
 * @returns `options.out` if given, else a new `Float32Array` of `Cout·T·V`
 * @throws InputError if the length does not fit, `vidRes` is invalid, or std(y) is 0 (the
 *   original would produce NaN/Infinity inputs and fail later at the AUC)
 *
 * @example
 * ```ts
 * const seg = normalizeSegment(op18.subarray(0, 24 * 18 * 3)); // [2, 24, 18]
 * ```
 */
export function normalizeSegment(raw: ArrayLike<number>, options: NormalizeSegmentOptions = {}): Float32Array {
  const source = options.source ?? 'normalizeSegment';
  const V = options.joints ?? 18;
  const cin = options.channels ?? 3;
  const withConfidence = options.withConfidence ?? false;
  if (!(Number.isInteger(V) && V > 0 && Number.isInteger(cin) && cin >= (withConfidence ? 3 : 2))) {
    throw new InputError(
      `joints must be a positive integer and channels at least ${withConfidence ? 3 : 2}, got joints=${V}, channels=${cin}`,
      { source },
    );
  }
  const T = raw.length / (V * cin);
  if (!Number.isInteger(T) || T === 0) {
    throw new InputError(`expected [T, ${V}, ${cin}] values, got ${raw.length} (not a positive multiple of ${V * cin})`, {
      source,
      location: options.location,
    });
  }
  const [w, h] = resolveVidRes(options.vidRes, source);
  const cout = withConfidence ? 3 : 2;
  const outOffset = options.outOffset ?? 0;
  const out = options.out ?? new Float32Array(cout * T * V);
  if (!(Number.isInteger(outOffset) && outOffset >= 0 && outOffset + cout * T * V <= out.length)) {
    throw new InputError(`out has ${out.length} values, cannot hold ${cout * T * V} at offset ${outOffset}`, { source });
  }
  const sd = normalizeSegmentInto(raw, 0, T, V, cin, out, outOffset, w, h, withConfidence, options.flipHorizontal ?? false);
  if (!(sd > 0) || !Number.isFinite(sd)) throw spreadError(sd, source, options.location);
  return out;
}
