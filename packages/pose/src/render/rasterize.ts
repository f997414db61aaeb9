import { InputError } from '@skelflow/base';
import type { Skeleton } from '../layouts/skeletons.js';
import { cropBox, isVisible, type CropBox, type CropBoxOptions } from './crop_box.js';
import type { SceneTexture } from './scene_background.js';

/** Options of {@link renderSkeletonFrame} and the functions built on it. */
export interface SkeletonRenderOptions extends Omit<CropBoxOptions, 'aspect'> {
  /** Crop height H in pixels. Default 32. */
  height?: number;
  /** Crop width W in pixels. Default 32. */
  width?: number;
  /** Channels C. Default 3 (pseudo-RGB). */
  channels?: number;
  /** Standard deviation of a joint's Gaussian heat map, in crop pixels. Default 1. */
  jointSigma?: number;
  /** Limb line width in crop pixels (the anti-aliased edge adds ½ px on each side). Default 1. */
  lineWidth?: number;
  /** Colour of the joint heat maps, one value per channel. Default 1 in every channel. */
  jointColor?: readonly number[];
  /** Colour of the limb lines, one value per channel. Default 0.6 in every channel. */
  limbColor?: readonly number[];
}

/** {@link SkeletonRenderOptions} with every default filled in and checked. */
export interface ResolvedRenderOptions {
  height: number;
  width: number;
  channels: number;
  jointSigma: number;
  lineWidth: number;
  jointColor: Float64Array;
  limbColor: Float64Array;
  box: CropBoxOptions;
  minConfidence: number;
}

/** Fills in and checks the defaults of {@link SkeletonRenderOptions}. */
export function resolveRenderOptions(o: SkeletonRenderOptions = {}, source = 'renderSkeletonFrame'): ResolvedRenderOptions {
  const height = o.height ?? 32;
  const width = o.width ?? 32;
  const channels = o.channels ?? 3;
  const jointSigma = o.jointSigma ?? 1;
  const lineWidth = o.lineWidth ?? 1;
  for (const [k, v] of [['height', height], ['width', width], ['channels', channels]] as const) {
    if (!(Number.isInteger(v) && v >= 1 && v <= 4096)) throw new InputError(`${k} must be an integer in [1, 4096], got ${v}`, { source });
  }
  if (!(jointSigma > 0) || !(lineWidth >= 0)) {
    throw new InputError(`jointSigma must be > 0 and lineWidth ≥ 0, got ${jointSigma} and ${lineWidth}`, { source });
  }
  const colour = (c: readonly number[] | undefined, fill: number, name: string): Float64Array => {
    if (c === undefined) return new Float64Array(channels).fill(fill);
    if (c.length !== channels || !c.every(Number.isFinite)) {
      throw new InputError(`${name} must have ${channels} finite values, got ${JSON.stringify(c)}`, { source });
    }
    return Float64Array.from(c);
  };
  const minConfidence = o.minConfidence ?? 0.05;
  return {
    height,
    width,
    channels,
    jointSigma,
    lineWidth,
    jointColor: colour(o.jointColor, 1, 'jointColor'),
    limbColor: colour(o.limbColor, 0.6, 'limbColor'),
    box: { margin: o.margin, minSize: o.minSize, minConfidence, aspect: width / height },
    minConfidence,
  };
}

/**
 * Distance from `(px, py)` to the segment `a → b` (to the point when a = b).
 */
export function pointSegmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  if (t < 0) t = 0;
  else if (t > 1) t = 1;
  const ex = px - (ax + t * dx);
  const ey = py - (ay + t * dy);
  return Math.sqrt(ex * ex + ey * ey);
}

// Scratch for one frame's joints in crop coordinates (NaN = not drawn).
let ju = new Float64Array(0);
let jv = new Float64Array(0);
let heat = new Float64Array(0);
let line = new Float64Array(0);

/**
 * Rasterises one detection's 2-D skeleton into an `H × W × C` crop (row-major, channels last),
 * the pseudo-RGB frame that stands in for MGNet's human-centric RGB crop:
 *
 * - the crop is {@link cropBox} of the visible joints (keypoint box + margin, the crop's aspect), or
 *   `box` when given;
 * - each visible joint adds a Gaussian heat map `h = exp(−d²/(2σ²))` (d in crop pixels from the
 *   joint to the pixel centre; cut off beyond 5σ, where h < 4e-6), each bone with two visible ends an anti-aliased line of coverage
 *   `l = clamp(w/2 + ½ − d, 0, 1)` (d from the pixel centre to the segment); per pixel the maximum
 *   over joints (bones) is taken;
 * - composited over the background: `out = lerp(lerp(bg, limbColor, l), jointColor, h)`, with
 *   `bg` the scene texture sampled at each pixel centre's source position, or 0 without one.
 *
 * Joints whose confidence is below `minConfidence`, or whose coordinates are not finite, are
 * skipped, with their bones; a detection with no visible joint (and no `box`) gives zeros —
 * {@link renderSkeletonSequence} passes the neighbouring frame's box, so it gets the background.
 * Pixel `(r, c)` has its centre at crop coordinates `(c + ½, r + ½)`.
 *
 * References: the pose-to-image rendering of PoTion (Choutas et al., CVPR 2018) and
 * PoseConv3D (Duan et al., CVPR 2022: Gaussian joint and limb heat maps); the crop rule of
 * GENet (`tool/extractor_crop.py`); MGNet's pseudo-RGB plan in model card §5.6.
 *
 * @param keypoints `[V, Cin]` flattened from `offset`, channels (x, y, confidence, …) in source pixels
 * @param inChannels Cin ≥ 3
 * @param skeleton the layout whose `edges` are the bones (V = `skeleton.jointNames.length`)
 * @param opts resolved options ({@link resolveRenderOptions})
 * @param out receives the crop at `outOffset` (`H·W·C` values, overwritten)
 * @param background scene texture or `null`
 * @param box crop box to use instead of the detection's own
 * @returns the crop box used, or `null` when no joint is visible (and no box was given)
 *
 * @example
 * ```ts
 * const o = resolveRenderOptions({ height: 32, width: 32, channels: 3 });
 * const img = new Float32Array(32 * 32 * 3);
 * renderSkeletonFrame(detection, 3, COCO17, o, img, 0, null);
 * ```
 */
export function renderSkeletonFrame(
  keypoints: ArrayLike<number>,
  inChannels: number,
  skeleton: Skeleton,
  opts: ResolvedRenderOptions,
  out: Float32Array,
  outOffset: number,
  background: SceneTexture | null,
  box?: CropBox | null,
  offset = 0,
): CropBox | null {
  const V = skeleton.jointNames.length;
  const { height: H, width: W, channels: C } = opts;
  if (keypoints.length < offset + V * inChannels) {
    throw new InputError(`a ${skeleton.name} detection needs ${V}×${inChannels} values, got ${keypoints.length - offset}`, {
      source: 'renderSkeletonFrame',
    });
  }
  if (background !== null && background.channels !== C) {
    throw new InputError(`background has ${background.channels} channels, the crop ${C}`, { source: 'renderSkeletonFrame' });
  }
  const b = box ?? cropBox(keypoints, inChannels, opts.box, offset, V);
  if (ju.length < V) {
    ju = new Float64Array(V);
    jv = new Float64Array(V);
  }
  if (b !== null) {
    const sx = W / b.width;
    const sy = H / b.height;
    for (let v = 0, p = offset; v < V; v++, p += inChannels) {
      const x = keypoints[p];
      const y = keypoints[p + 1];
      if (isVisible(x, y, keypoints[p + 2], opts.minConfidence)) {
        ju[v] = (x - b.x0) * sx;
        jv[v] = (y - b.y0) * sy;
      } else {
        ju[v] = NaN;
        jv[v] = NaN;
      }
    }
  } else {
    ju.fill(NaN, 0, V);
    jv.fill(NaN, 0, V);
  }
  // Heat and line coverage maps of this frame: each joint splats its Gaussian into the pixels
  // within 5σ (beyond that it is below 4e-6 and is dropped), each bone touches only the pixels of
  // its bounding box widened by the line's half width.
  const n = H * W;
  if (heat.length < n) {
    heat = new Float64Array(n);
    line = new Float64Array(n);
  }
  heat.fill(0, 0, n);
  line.fill(0, 0, n);
  if (b !== null) {
    const inv2s2 = 1 / (2 * opts.jointSigma * opts.jointSigma);
    const rad = 5 * opts.jointSigma;
    for (let v = 0; v < V; v++) {
      const u = ju[v];
      if (u !== u) continue; // NaN: not visible
      const w = jv[v];
      const c0 = Math.max(0, Math.floor(u - rad));
      const c1 = Math.min(W - 1, Math.ceil(u + rad));
      const r0 = Math.max(0, Math.floor(w - rad));
      const r1 = Math.min(H - 1, Math.ceil(w + rad));
      for (let r = r0; r <= r1; r++) {
        const dv = r + 0.5 - w;
        for (let c = c0; c <= c1; c++) {
          const du = c + 0.5 - u;
          const h = Math.exp(-(du * du + dv * dv) * inv2s2);
          if (h > heat[r * W + c]) heat[r * W + c] = h;
        }
      }
    }
    const half = opts.lineWidth / 2 + 0.5;
    for (const [i, j] of skeleton.edges) {
      if (ju[i] !== ju[i] || ju[j] !== ju[j]) continue;
      const c0 = Math.max(0, Math.floor(Math.min(ju[i], ju[j]) - half));
      const c1 = Math.min(W - 1, Math.ceil(Math.max(ju[i], ju[j]) + half));
      const r0 = Math.max(0, Math.floor(Math.min(jv[i], jv[j]) - half));
      const r1 = Math.min(H - 1, Math.ceil(Math.max(jv[i], jv[j]) + half));
      for (let r = r0; r <= r1; r++) {
        for (let c = c0; c <= c1; c++) {
          let l = half - pointSegmentDistance(c + 0.5, r + 0.5, ju[i], jv[i], ju[j], jv[j]);
          if (l > 1) l = 1;
          if (l > line[r * W + c]) line[r * W + c] = l;
        }
      }
    }
  }
  const useBg = background !== null && b !== null;
  const sx = b === null ? 0 : b.width / W;
  const sy = b === null ? 0 : b.height / H;
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const p = r * W + c;
      const o = outOffset + p * C;
      for (let ch = 0; ch < C; ch++) {
        let val = useBg ? background.valueAt(b.x0 + (c + 0.5) * sx, b.y0 + (r + 0.5) * sy, ch) : 0;
        val += (opts.limbColor[ch] - val) * line[p];
        val += (opts.jointColor[ch] - val) * heat[p];
        out[o + ch] = val;
      }
    }
  }
  return b;
}
