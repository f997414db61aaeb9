import { InputError } from '@skelflow/base';

/**
 * How a segment is normalised (`segmentTracks`' `normalization` option):
 *
 * - `'stg-nf'` (2-D only, the default for 2-D tracks): STG-NF's `normalize_pose` — pixels divided
 *   by the video size, centred on the segment mean, both channels divided by std(y) (see
 *   `normalizeSegment`). Its definition needs an image (a vertical image axis and a resolution),
 *   so it has no 3-D counterpart.
 * - `'segment'` (the default for 3-D tracks): centred on the segment's mean joint, scaled by a
 *   body-size measure: `p' = (p − μ) / s` with `μ = mean_{t,v} p_{t,v}` and
 *   `s = sqrt( mean_{t,v} ‖p_{t,v} − c_t‖² / D )`, `c_t = mean_v p_{t,v}` the frame's mean joint
 *   and D the number of coordinates (2 or 3). `s` is the RMS spread of the joints about their
 *   frame centre — the body's size, independent of where the body is, how it is turned (it is
 *   invariant to rotations, unlike std(y)) and how far it travels within the segment; the
 *   travel itself stays in the data, relative to the segment mean, so speed is still visible.
 * - `'frame'`: per-frame joint standardisation, NFlowAD §5.1 ("zero mean and unit variance across
 *   the joints within the frame"): `p'_{t,v} = (p_{t,v} − c_t) / s_t`,
 *   `s_t = sqrt( mean_v ‖p_{t,v} − c_t‖² / D )`, so each frame's D·V coordinates have mean 0 per
 *   axis and (pooled) variance 1. One scale for all axes keeps the pose's shape (a per-axis scale
 *   would stretch a body seen from the side). Translation and body size are removed per frame.
 *
 * References: Hirschorn & Avidan, STG-NF, ICCV 2023 (`normalize_pose`); Choueb et al., NFlowAD,
 * Signal Processing: Image Communication (§3 and §5.1; `../shared/docs/model-cards.md` §4.1).
 */
export type SegmentNormalization = 'stg-nf' | 'segment' | 'frame';

/** The normalisations `segmentTracks` accepts, in a stable order (for messages and flag choices). */
export const SEGMENT_NORMALIZATIONS: readonly SegmentNormalization[] = Object.freeze(['stg-nf', 'segment', 'frame']);

let scratch = new Float64Array(3 * 24 * 18);

/**
 * Normalises one raw segment `[T, V, cin]` (coordinates first, then an optional confidence at
 * index `dims`) into `out` at `outOffset` as `[Cout, T, V]` with `'segment'` or `'frame'`
 * normalisation (see {@link SegmentNormalization}); internal fast path of `segmentTracks`.
 *
 * With `flip`, the segment is mirrored before normalising: x → −x, and for 3-D also left ↔ right
 * (`flipMap[v]` is the source joint of output joint v), so the mirrored body is a plausible
 * (left-handed) body; without the swap a 3-D mirror image would put the left shoulder on the
 * body's right side. (2-D keeps STG-NF's flip without the swap: a projected body with its labels
 * mirrored is also the image of a body facing the other way.)
 *
 * @returns the smallest scale used (`s`, or the smallest `s_t`); a non-positive or non-finite value
 *   means the segment could not be normalised and `out` is partly written — the caller throws
 */
export function normalizeBodyInto(
  src: ArrayLike<number>,
  srcOffset: number,
  T: number,
  V: number,
  cin: number,
  dims: 2 | 3,
  mode: 'segment' | 'frame',
  out: Float32Array,
  outOffset: number,
  withConfidence: boolean,
  flipMap: readonly number[] | null,
): number {
  const n = T * V;
  if (scratch.length < dims * n) scratch = new Float64Array(dims * n);
  const p = scratch;
  const fround = Math.fround;
  // Gather as float64 [dims, T, V] from the float32 values, mirrored if asked.
  for (let t = 0; t < T; t++) {
    for (let v = 0; v < V; v++) {
      const sv = flipMap ? flipMap[v]! : v;
      const q = srcOffset + (t * V + sv) * cin;
      const i = t * V + v;
      for (let d = 0; d < dims; d++) p[d * n + i] = fround(src[q + d]!);
      if (flipMap) p[i] = -p[i]!;
    }
  }
  let minScale = Infinity;
  if (mode === 'segment') {
    let spread = 0;
    const mean = [0, 0, 0];
    for (let d = 0; d < dims; d++) {
      let all = 0;
      for (let t = 0; t < T; t++) {
        let c = 0;
        for (let v = 0; v < V; v++) c += p[d * n + t * V + v]!;
        all += c;
        c /= V;
        for (let v = 0; v < V; v++) {
          const e = p[d * n + t * V + v]! - c;
          spread += e * e;
        }
      }
      mean[d] = all / n;
    }
    const s = Math.sqrt(spread / (n * dims));
    if (!(s > 0) || !Number.isFinite(s)) return s;
    minScale = s;
    for (let d = 0; d < dims; d++) for (let i = 0; i < n; i++) out[outOffset + d * n + i] = (p[d * n + i]! - mean[d]!) / s;
  } else {
    const c = [0, 0, 0];
    for (let t = 0; t < T; t++) {
      let spread = 0;
      for (let d = 0; d < dims; d++) {
        let m = 0;
        for (let v = 0; v < V; v++) m += p[d * n + t * V + v]!;
        m /= V;
        c[d] = m;
        for (let v = 0; v < V; v++) {
          const e = p[d * n + t * V + v]! - m;
          spread += e * e;
        }
      }
      const s = Math.sqrt(spread / (V * dims));
      if (!(s > 0) || !Number.isFinite(s)) return s;
      if (s < minScale) minScale = s;
      for (let d = 0; d < dims; d++) for (let v = 0; v < V; v++) out[outOffset + d * n + t * V + v] = (p[d * n + t * V + v]! - c[d]!) / s;
    }
  }
  if (withConfidence) {
    for (let t = 0; t < T; t++) {
      for (let v = 0; v < V; v++) out[outOffset + dims * n + t * V + v] = src[srcOffset + (t * V + (flipMap ? flipMap[v]! : v)) * cin + dims]!;
    }
  }
  return minScale;
}

/** The error `normalizeBodyInto`'s callers throw for an unusable scale. */
export function bodyScaleError(scale: number, mode: 'segment' | 'frame', source: string | undefined, location: string | undefined): InputError {
  const what = mode === 'segment' ? 'the joints do not spread about their frame centres' : 'the joints of a frame coincide';
  return new InputError(
    `cannot normalise (${mode} normalisation): ${scale === 0 ? `${what} (body size 0)` : `non-finite body size (${scale})`}`,
    { source, location },
  );
}
