import { InputError } from '@skelflow/base';
import { coco17ToOpenPose18 } from '../layouts/convert.js';
import { getSkeleton, type LayoutName, type Skeleton } from '../layouts/skeletons.js';
import { continuousWindowStarts, type SegmentMeta } from '../tracks/segment.js';
import { COCO17_VALUES, type PersonTrack, type PoseClip } from '../tracks/types.js';
import { cropBox, type CropBox } from './crop_box.js';
import { renderSkeletonFrame, resolveRenderOptions, type ResolvedRenderOptions, type SkeletonRenderOptions } from './rasterize.js';
import { sceneIdFromClipName, sceneTexture, type SceneTexture } from './scene_background.js';

/**
 * Renders a sequence of detections, frame by frame, into `[T, H, W, C]` (see
 * {@link renderSkeletonFrame} for one frame). A frame without a visible joint is drawn with the
 * crop box of the nearest earlier frame that has one (else the nearest later one), so it shows the
 * background there; a sequence with no visible joint at all is zeros.
 *
 * @param keypoints `[T, V, Cin]` flattened, (x, y, confidence, …) in source pixels
 * @param skeleton layout of the V joints (its `edges` are drawn)
 * @param options render options; `inChannels` Cin (default 3); `background` a {@link sceneTexture} or null
 * @param out optional output of `T·H·W·C` values
 * @returns `[T, H, W, C]` flattened
 *
 * @example
 * ```ts
 * const crops = renderSkeletonSequence(kp, COCO17, { background: sceneTexture('01', 3, 7) }); // [T, 32, 32, 3]
 * ```
 */
export function renderSkeletonSequence(
  keypoints: ArrayLike<number>,
  skeleton: Skeleton,
  options: SkeletonRenderOptions & { inChannels?: number; background?: SceneTexture | null } = {},
  out?: Float32Array,
): Float32Array {
  const o = resolveRenderOptions(options, 'renderSkeletonSequence');
  const cin = options.inChannels ?? 3;
  const V = skeleton.jointNames.length;
  const frameValues = V * cin;
  if (!(Number.isInteger(cin) && cin >= 3) || keypoints.length % frameValues !== 0) {
    throw new InputError(`keypoints must be [T, ${V}, Cin≥3] flattened; got ${keypoints.length} values with Cin = ${cin}`, {
      source: 'renderSkeletonSequence',
    });
  }
  const T = keypoints.length / frameValues;
  return renderFrames(keypoints, 0, T, cin, skeleton, o, options.background ?? null, out, 0);
}

function renderFrames(
  kp: ArrayLike<number>,
  start: number,
  T: number,
  cin: number,
  skeleton: Skeleton,
  o: ResolvedRenderOptions,
  background: SceneTexture | null,
  out: Float32Array | undefined,
  outOffset: number,
): Float32Array {
  const frameSize = o.height * o.width * o.channels;
  const dst = out ?? new Float32Array(T * frameSize);
  if (dst.length < outOffset + T * frameSize) {
    throw new InputError(`output holds ${dst.length} values, ${outOffset + T * frameSize} needed`, { source: 'renderSkeletonSequence' });
  }
  const V = skeleton.jointNames.length;
  const fv = V * cin;
  // Boxes first, so that a frame without visible joints can borrow its neighbour's.
  const boxes: (CropBox | null)[] = [];
  for (let t = 0; t < T; t++) boxes.push(cropBox(kp, cin, o.box, (start + t) * fv, V));
  for (let t = 1; t < T; t++) if (boxes[t] === null) boxes[t] = boxes[t - 1];
  for (let t = T - 2; t >= 0; t--) if (boxes[t] === null) boxes[t] = boxes[t + 1];
  for (let t = 0; t < T; t++) {
    renderSkeletonFrame(kp, cin, skeleton, o, dst, outOffset + t * frameSize, background, boxes[t], (start + t) * fv);
  }
  return dst;
}

/** Options of {@link renderTrackWindows}. */
export interface RenderWindowsOptions extends SkeletonRenderOptions {
  /** Detections per window T (as `segmentTracks`). Default 24. */
  segLen?: number;
  /** Step between window starts. Default 1. */
  stride?: number;
  /** Frames of a window that may be missing (as `segmentTracks`). Default 2. */
  maxMissing?: number;
  /** Which skeleton is drawn: `'openpose18'` (default: STG-NF's input, neck = mean of the shoulders) or `'coco17'`. */
  layout?: LayoutName;
  /** Draw over a per-scene background ({@link sceneTexture}). Default `true`. */
  background?: boolean;
  /** Seed of the scene backgrounds. Default 0. */
  seed?: number | string;
  /** Scene id of a clip. Default: {@link sceneIdFromClipName} (`SS` of `SS_CCCC`). */
  sceneOf?: (clip: PoseClip) => string;
}

/** Output of {@link renderTrackWindows}: a lazy view, one window rendered per call. */
export interface RenderedWindows {
  /** Number of windows S — the segments `segmentTracks` cuts with the same `segLen`/`stride`/`maxMissing`, in the same order. */
  count: number;
  /** `[T, H, W, C]` of one window. */
  windowShape: [number, number, number, number];
  /** Which clip, person and frames each window comes from (the same as `segmentTracks(…).meta`). */
  meta: SegmentMeta;
  /** Scene id of every clip, parallel to `meta.clipNames`. */
  clipScenes: string[];
  /** Renders window `s` into `out` (or a new array): `[T, H, W, C]` flattened. */
  render(s: number, out?: Float32Array): Float32Array;
}

/**
 * The second modality of MGNet for pose-only data: every track window that `segmentTracks` would
 * cut (same options, same order, same `meta`) rendered as `[T, H, W, C]` pseudo-RGB person crops
 * over its scene's background. Windows are rendered on demand (`render(s)`), so a data set of 10⁵
 * windows costs nothing until used (one 24×32×32×3 window is 295 KB). Deterministic: the same
 * tracks, options and seed give the same numbers.
 *
 * @param input one clip or a list of clips (any track set: synthetic, mocap, AlphaPose)
 * @returns a {@link RenderedWindows} view
 * @throws InputError for bad options, duplicate clip names, bad person keys, an inconsistent track,
 *   or a clip name without a scene prefix when `background` is on and no `sceneOf` is given
 *
 * @example
 * ```ts
 * const w = renderTrackWindows(clips, { segLen: 24, seed: 7 });
 * const crops = w.render(0); // Float32Array [24, 32, 32, 3]
 * segmentTracks(clips, { segLen: 24 }).meta; // same windows, same order
 * ```
 */
export function renderTrackWindows(input: PoseClip | readonly PoseClip[], options: RenderWindowsOptions = {}): RenderedWindows {
  const source = 'renderTrackWindows';
  const clips: readonly PoseClip[] = Array.isArray(input) ? input : [input as PoseClip];
  const segLen = options.segLen ?? 24;
  const stride = options.stride ?? 1;
  const maxMissing = options.maxMissing ?? 2;
  for (const [k, v, min] of [['segLen', segLen, 1], ['stride', stride, 1], ['maxMissing', maxMissing, 0]] as const) {
    if (!(Number.isInteger(v) && v >= min)) throw new InputError(`${k} must be an integer ≥ ${min}, got ${v}`, { source });
  }
  const layout = options.layout ?? 'openpose18';
  const skeleton = getSkeleton(layout);
  const o = resolveRenderOptions(options, source);
  const useBackground = options.background ?? true;
  const seed = options.seed ?? 0;
  const names = new Set<string>();
  for (const c of clips) {
    if (names.has(c.name)) throw new InputError(`clip name ${JSON.stringify(c.name)} appears twice`, { source });
    names.add(c.name);
  }
  const clipScenes = clips.map((c) => (options.sceneOf ? options.sceneOf(c) : useBackground ? sceneIdFromClipName(c.name) : ''));
  const textures = new Map<string, SceneTexture>();
  const textureOf = (scene: string): SceneTexture | null => {
    if (!useBackground) return null;
    let t = textures.get(scene);
    if (t === undefined) textures.set(scene, (t = sceneTexture(scene, o.channels, seed)));
    return t;
  };

  interface Job {
    clip: number;
    track: PersonTrack;
    start: number;
  }
  const jobs: Job[] = [];
  const person: number[] = [];
  clips.forEach((clip, ci) => {
    const src = clip.source ?? clip.name;
    const keys = [...clip.tracks.keys()];
    for (const k of keys) {
      if (!/^\d+$/.test(k) || Number(k) > 0x7fffffff) throw new InputError(`person key ${JSON.stringify(k)} is not a non-negative integer`, { source: src, location: `person ${k}` });
    }
    keys.sort((a, b) => Number(a) - Number(b));
    for (const k of keys) {
      const track = clip.tracks.get(k)!;
      if (track.keypoints.length !== track.frames.length * COCO17_VALUES) {
        throw new InputError(`track has ${track.frames.length} frames but ${track.keypoints.length} keypoint values`, { source: src, location: `person ${k}` });
      }
      for (const st of continuousWindowStarts(track.frames, segLen, stride, maxMissing)) {
        jobs.push({ clip: ci, track, start: st });
        person.push(Number(k));
      }
    }
  });
  const S = jobs.length;
  const meta: SegmentMeta = {
    segLen,
    clipNames: clips.map((c) => c.name),
    clip: Uint32Array.from(jobs, (j) => j.clip),
    person: Int32Array.from(person),
    startFrame: Int32Array.from(jobs, (j) => j.track.frames[j.start]),
    endFrame: Int32Array.from(jobs, (j) => j.track.frames[j.start + segLen - 1]),
  };
  // One converted copy per track, made when first rendered (the last one is kept).
  let cachedTrack: PersonTrack | null = null;
  let cachedKp: ArrayLike<number> = new Float32Array(0);
  const keypointsOf = (track: PersonTrack): ArrayLike<number> => {
    if (track !== cachedTrack) {
      cachedTrack = track;
      cachedKp = layout === 'openpose18' ? coco17ToOpenPose18(track.keypoints) : track.keypoints;
    }
    return cachedKp;
  };
  return {
    count: S,
    windowShape: [segLen, o.height, o.width, o.channels],
    meta,
    clipScenes,
    render(s: number, out?: Float32Array): Float32Array {
      if (!(Number.isInteger(s) && s >= 0 && s < S)) throw new InputError(`window ${s} is not in [0, ${S})`, { source });
      const job = jobs[s];
      return renderFrames(keypointsOf(job.track), job.start, segLen, 3, skeleton, o, textureOf(clipScenes[job.clip]), out, 0);
    },
  };
}
