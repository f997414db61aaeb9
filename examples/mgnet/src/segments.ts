import { InputError } from '@skelflow/base';
import { getSkeleton, renderSkeletonSequence, resolveRenderOptions, sceneIdFromClipName, sceneTexture, segmentTracks, STGNF_VID_RES, type PoseClip, type PoseSegments, type SceneTexture } from '@skelflow/pose';

/**
 * Channels of one MGNet input segment `[7, T, 18]` (OpenPose-18, the `@skelflow/model` layout
 * `[C, T, V]`): the teacher's normalised `x, y` (STG-NF's normalisation), the raw pixel `x, y` and
 * the confidence the crops are rendered from, the scene code and the video index (the same value
 * in every cell; the video index groups segments for the per-video min–max of the score).
 */
export const MGNET_CHANNELS = 7;
/** Channel offsets in {@link MGNET_CHANNELS}. */
export const CH = { xNorm: 0, yNorm: 1, xPx: 2, yPx: 3, conf: 4, scene: 5, video: 6 } as const;

/** The integer scene code of a clip: its `SS` prefix (`SS_CCCC`) as a number. @throws InputError when the name has none. */
export function sceneCode(clip: PoseClip): number {
  const id = sceneIdFromClipName(clip.name);
  if (!/^\d+$/.test(id)) throw new InputError(`MGNet needs a numeric scene prefix (SS_CCCC), got ${JSON.stringify(id)}`, { source: clip.source ?? clip.name });
  return Number(id);
}

/** The scene id a code renders with: at least two digits, as clip names write it (`1` → `'01'`). */
export function sceneIdOf(code: number): string {
  return String(code).padStart(2, '0');
}

/** Options of {@link mgnetSegments}. */
export interface MgNetSegmentOptions {
  segLen: number;
  stride: number;
  maxMissing?: number;
  flipHorizontal?: boolean;
  vidRes?: readonly [number, number];
}

/**
 * MGNet's input segments of clips (the windows `segmentTracks` cuts, in its order, with its meta):
 * `[S, 7, T, 18]` packed as {@link MGNET_CHANNELS}. With `flipHorizontal` the x channels are
 * negated (STG-NF's flip; the crops are mirrored).
 *
 * @throws InputError for a clip without a numeric scene prefix, or what `segmentTracks` throws
 */
export function mgnetSegments(clips: readonly PoseClip[], o: MgNetSegmentOptions): PoseSegments {
  const common = { segLen: o.segLen, stride: o.stride, maxMissing: o.maxMissing ?? 2, flipHorizontal: o.flipHorizontal ?? false, vidRes: o.vidRes ?? STGNF_VID_RES };
  const norm = segmentTracks(clips, common);
  const raw = segmentTracks(clips, { ...common, normalize: false, withConfidence: true });
  const codes = clips.map(sceneCode);
  const S = norm.meta.clip.length;
  const n = o.segLen * 18;
  const data = new Float32Array(S * MGNET_CHANNELS * n);
  for (let s = 0; s < S; s++) {
    const off = s * MGNET_CHANNELS * n;
    data.set(norm.data.subarray(s * 2 * n, (s + 1) * 2 * n), off);
    data.set(raw.data.subarray(s * 3 * n, (s + 1) * 3 * n), off + 2 * n);
    const clip = norm.meta.clip[s]!;
    data.fill(codes[clip]!, off + CH.scene * n, off + (CH.scene + 1) * n);
    data.fill(clip, off + CH.video * n, off + (CH.video + 1) * n);
  }
  return { data, shape: [S, MGNET_CHANNELS, o.segLen, 18], meta: norm.meta, minScore: norm.minScore };
}

/** The teacher's input `[b, 2, T, 18]` of the packed segments `idx` (flat float32). */
export function teacherInput(data: Float32Array, idx: ArrayLike<number>, segLen: number, out?: Float32Array): Float32Array {
  const n = segLen * 18;
  const per = MGNET_CHANNELS * n;
  const dst = out ?? new Float32Array(idx.length * 2 * n);
  for (let i = 0; i < idx.length; i++) dst.set(data.subarray(idx[i]! * per, idx[i]! * per + 2 * n), i * 2 * n);
  return dst;
}

/** Scene code and video index of packed segment `s`. */
export function segmentIds(data: Float32Array, s: number, segLen: number): { scene: number; video: number } {
  const n = segLen * 18;
  const off = s * MGNET_CHANNELS * n;
  return { scene: data[off + CH.scene * n]!, video: data[off + CH.video * n]! };
}

/**
 * Renders packed segments as pseudo-RGB crops `[b, T, crop, crop, 3]` (`@skelflow/pose`
 * `renderSkeletonSequence`: joint heat maps and limb lines over the scene's background — the same
 * pictures `renderTrackWindows` draws for these windows, for scene ids of two digits).
 */
export class CropRenderer {
  private readonly textures = new Map<number, SceneTexture>();
  private readonly kp: Float32Array;
  private readonly skeleton = getSkeleton('openpose18');

  constructor(
    readonly segLen: number,
    readonly crop: number,
    readonly seed: number,
  ) {
    resolveRenderOptions({ height: crop, width: crop, channels: 3 }, 'CropRenderer');
    this.kp = new Float32Array(segLen * 18 * 3);
  }

  /** Values of one crop sequence, T·crop·crop·3. */
  get windowSize(): number {
    return this.segLen * this.crop * this.crop * 3;
  }

  texture(code: number): SceneTexture {
    let t = this.textures.get(code);
    if (!t) this.textures.set(code, (t = sceneTexture(sceneIdOf(code), 3, this.seed)));
    return t;
  }

  /** Crops of the packed segments `idx` into `out` (or a new array). */
  render(data: Float32Array, idx: ArrayLike<number>, out?: Float32Array): Float32Array {
    const T = this.segLen;
    const n = T * 18;
    const per = MGNET_CHANNELS * n;
    const w = this.windowSize;
    const dst = out ?? new Float32Array(idx.length * w);
    for (let i = 0; i < idx.length; i++) {
      const off = idx[i]! * per;
      // [3, T, 18] channel-major → [T, 18, 3] interleaved.
      for (let c = 0; c < 3; c++) for (let p = 0; p < n; p++) this.kp[p * 3 + c] = data[off + (CH.xPx + c) * n + p]!;
      const bg = this.texture(data[off + CH.scene * n]!);
      dst.set(renderSkeletonSequence(this.kp, this.skeleton, { height: this.crop, width: this.crop, channels: 3, background: bg }), i * w);
    }
    return dst;
  }
}

/**
 * The scene query e^s of a scene: its background (`sceneTexture`, the one the crops show) sampled
 * on a 4 × 4 grid over the `vidRes` frame, 3 channels (48 values), minus their mean — a fixed
 * "scene image" feature (the paper's F_S is an unstated pretrained extractor).
 */
export function sceneFeature(texture: SceneTexture, vidRes: readonly [number, number] = STGNF_VID_RES, grid = 4): Float32Array {
  const out = new Float32Array(grid * grid * 3);
  let mean = 0;
  for (let r = 0; r < grid; r++)
    for (let q = 0; q < grid; q++)
      for (let c = 0; c < 3; c++) {
        const v = texture.valueAt(((q + 0.5) / grid) * vidRes[0], ((r + 0.5) / grid) * vidRes[1], c);
        out[(r * grid + q) * 3 + c] = v;
        mean += v / out.length;
      }
  for (let i = 0; i < out.length; i++) out[i] -= mean;
  return out;
}
