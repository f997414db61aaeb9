/**
 * The manifest of a motion-capture anomaly benchmark: which source clips exist, which frames of
 * them are normal training material, how test clips are composed of labelled segments, which
 * virtual cameras film them and how the pose estimator degrades the projections. Parsing and
 * validation only (browser-safe); {@link buildMocapDataset} turns a manifest into pose tracks.
 *
 * @module
 */
import type { ArmRotation } from './arm_rotation.js';
import { InputError, jsonPreview } from '@skelflow/base';
import { cameraSpecProblem, estimatorNoiseProblem, type CameraSpec, type EstimatorNoise } from '@skelflow/pose';

/** The `format` string of a manifest. */
export const MOCAP_MANIFEST_FORMAT = 'skelflow-mocap-manifest/1';

/**
 * Where a source clip's files are, relative to the mocap folder, and what it shows: either an
 * ASF/AMC pair (`asf` + `amc`) or a BVH file (`bvh`, with `metresPerUnit` and `upAxis` as the BVH
 * reader takes them).
 */
export interface ManifestClip {
  /** Skeleton file (ASF), e.g. `02/02.asf`. */
  asf?: string;
  /** Motion file (AMC), e.g. `02/02_01.amc`. */
  amc?: string;
  /** A BVH file instead of ASF/AMC. */
  bvh?: string;
  /** BVH only: metres per file unit (default 0.01). */
  metresPerUnit?: number;
  /** BVH only: the file's up axis (default `y`). */
  upAxis?: 'y' | 'z';
  /** Free text: the action (documentation only). */
  action?: string;
  /** Free text: why the clip is labelled as it is (documentation only). */
  note?: string;
}

/** A normal training clip: frames `[from, to)` of a source clip, filmed by some cameras. */
export interface ManifestTrainEntry {
  /** Source clip name (a key of `clips`, or a CMU name `SS_NN` found as `SS/SS.asf` + `SS/SS_NN.amc`). */
  clip: string;
  /** First source frame (0-based, at the source clip's own frame rate). Default 0. */
  from?: number;
  /** End source frame (exclusive). Default: the clip's end. */
  to?: number;
  /** Indices into `cameras`. Default: all. */
  cameras?: number[];
  /** Seed of the estimator noise. Default: derived from the entry's position. */
  seed?: number | string;
}

/** One labelled piece of a test clip. */
export interface ManifestSegment {
  clip: string;
  /** First source frame (0-based, inclusive). */
  from: number;
  /** End source frame (exclusive). */
  to: number;
  label: 'normal' | 'abnormal';
  /**
   * Scene-dependent anomaly (`abnormal` segments only): camera indices — the scenes of the clip
   * names — under which this segment is normal. Its frames are marked 0 in those cameras' masks
   * and 1 in the others' (running allowed in scene 02 = camera 1, abnormal in scene 01 = camera 0).
   * A training entry filmed by those cameras is how a model learns it (see docs/mocap.md).
   */
  normalCameras?: number[];
}

/**
 * A test clip: segments spliced with continuous root position and heading; optionally one arm
 * rotated over a range of the spliced clip's frames (the attribution clip, `rotateArm`; `from`
 * and `to` count output frames at the manifest's fps), whose frames are then labelled abnormal.
 */
export interface ManifestTestEntry {
  segments: ManifestSegment[];
  armRotation?: ArmRotation;
  cameras?: number[];
  seed?: number | string;
}

/** A parsed, validated manifest (see docs/mocap.md for the JSON format). */
export interface MocapManifest {
  format: typeof MOCAP_MANIFEST_FORMAT;
  name: string;
  description?: string;
  /** Output frame rate (clips are resampled to it). Default 30. */
  fps: number;
  /** Source clips by name. Names not listed here are looked up with the CMU layout. */
  clips: Record<string, ManifestClip>;
  /** The virtual cameras; camera `i` writes clips named `SS_CCCC` with `SS = i + 1`. */
  cameras: CameraSpec[];
  /** Estimator and tracker degradation (see {@link EstimatorNoise}). */
  noise: EstimatorNoise;
  /** Pose blending across splice cuts, in output frames. Default 6. */
  blendFrames: number;
  train: ManifestTrainEntry[];
  test: ManifestTestEntry[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const CLIP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Where a clip named `name` is expected when the manifest does not list it: the CMU layout
 * `<subject>/<subject>.asf` and `<subject>/<name>.amc` for names `<subject>_<trial>`.
 *
 * @returns the files, or `null` when the name does not follow the CMU pattern.
 * @example
 * ```ts
 * cmuClipFiles('02_05'); // { asf: '02/02.asf', amc: '02/02_05.amc' }
 * ```
 */
export function cmuClipFiles(name: string): ManifestClip | null {
  const m = /^(\d+)_(\d+)$/.exec(name);
  if (!m) return null;
  return { asf: `${m[1]}/${m[1]}.asf`, amc: `${m[1]}/${name}.amc` };
}

/**
 * Parses and validates a manifest (JSON text). Checks the structure, types and value ranges of
 * every field; clip existence and frame ranges are checked against the loaded clips by
 * {@link checkManifestRanges}.
 *
 * @param text - the JSON text.
 * @param source - the manifest's file name, for messages.
 * @returns the manifest with defaults filled in.
 * @throws InputError naming `source` and the entry (e.g. `test[2].segments[1]`).
 * @example
 * ```ts
 * const manifest = parseMocapManifest(fs.readFileSync('packages/mocap/manifests/cmu-02-03.json', 'utf8'), 'cmu-02-03.json');
 * manifest.train.length;
 * ```
 */
export function parseMocapManifest(text: string, source: string): MocapManifest {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, { source });
  }
  const fail = (location: string, message: string): never => {
    throw new InputError(message, { source, location });
  };
  if (!isObject(root)) fail('top level', 'the manifest must be a JSON object');
  const r = root as Record<string, Json>;
  const known = new Set(['$schema', 'format', 'name', 'description', 'fps', 'clips', 'cameras', 'noise', 'blendFrames', 'train', 'test']);
  for (const k of Object.keys(r)) if (!known.has(k)) fail(k, `unknown field (known: ${[...known].join(', ')})`);
  if (r.format !== MOCAP_MANIFEST_FORMAT) fail('format', `must be "${MOCAP_MANIFEST_FORMAT}", got ${jsonPreview(r.format ?? null)}`);
  if (typeof r.name !== 'string' || r.name === '') fail('name', 'must be a non-empty string');
  if (r.description !== undefined && typeof r.description !== 'string') fail('description', 'must be a string');
  const fps = r.fps === undefined ? 30 : r.fps;
  if (typeof fps !== 'number' || !(fps > 0 && fps <= 1000)) fail('fps', `must be a number in (0, 1000], got ${jsonPreview(fps)}`);
  const blendFrames = r.blendFrames === undefined ? 6 : r.blendFrames;
  if (typeof blendFrames !== 'number' || !Number.isInteger(blendFrames) || blendFrames < 0) {
    fail('blendFrames', `must be an integer ≥ 0, got ${jsonPreview(blendFrames)}`);
  }

  const clips: Record<string, ManifestClip> = {};
  if (r.clips !== undefined) {
    if (!isObject(r.clips)) fail('clips', 'must be an object mapping clip names to { asf, amc } or { bvh }');
    for (const [name, c] of Object.entries(r.clips as Record<string, Json>)) {
      const loc = `clips.${name}`;
      if (!CLIP_NAME.test(name)) fail(loc, 'clip names may contain letters, digits, _ . - only');
      if (!isObject(c)) fail(loc, 'must be an object { asf, amc } or { bvh }, with optional action, note, stats');
      const cc = c as Record<string, Json>;
      const fields = ['asf', 'amc', 'bvh', 'metresPerUnit', 'upAxis', 'action', 'note', 'stats'];
      for (const k of Object.keys(cc)) if (!fields.includes(k)) fail(`${loc}.${k}`, `unknown field (known: ${fields.join(', ')})`);
      const str = (k: string) => typeof cc[k] === 'string' && cc[k] !== '';
      if (cc.bvh !== undefined) {
        if (!str('bvh')) fail(`${loc}.bvh`, 'must be a non-empty path relative to the mocap folder');
        if (cc.asf !== undefined || cc.amc !== undefined) fail(loc, 'give either bvh or asf + amc, not both');
        const mpu = cc.metresPerUnit;
        if (mpu !== undefined && !(typeof mpu === 'number' && mpu > 0 && Number.isFinite(mpu))) fail(`${loc}.metresPerUnit`, 'must be a positive number');
        if (cc.upAxis !== undefined && cc.upAxis !== 'y' && cc.upAxis !== 'z') fail(`${loc}.upAxis`, 'must be "y" or "z"');
      } else {
        for (const k of ['asf', 'amc']) if (!str(k)) fail(`${loc}.${k}`, 'must be a non-empty path relative to the mocap folder (or give bvh)');
        if (cc.metresPerUnit !== undefined || cc.upAxis !== undefined) fail(loc, 'metresPerUnit and upAxis apply to bvh clips only');
      }
      for (const k of ['action', 'note'] as const) if (cc[k] !== undefined && typeof cc[k] !== 'string') fail(`${loc}.${k}`, 'must be a string');
      const entry: ManifestClip = {};
      for (const k of ['asf', 'amc', 'bvh', 'metresPerUnit', 'upAxis', 'action', 'note'] as const) {
        if (cc[k] !== undefined) (entry as Record<string, unknown>)[k] = cc[k];
      }
      clips[name] = entry;
    }
  }

  if (!Array.isArray(r.cameras) || r.cameras.length === 0) fail('cameras', 'must be a non-empty array of { azimuth, elevation, distance, focal }');
  if ((r.cameras as Json[]).length > 99) fail('cameras', 'at most 99 cameras (clip names are SS_CCCC)');
  const cameras = (r.cameras as Json[]).map((c, i) => {
    const loc = `cameras[${i}]`;
    if (!isObject(c)) fail(loc, 'must be an object { azimuth, elevation, distance, focal, width?, height? }');
    const cc = c as Record<string, Json>;
    for (const k of Object.keys(cc)) if (!['azimuth', 'elevation', 'distance', 'focal', 'width', 'height'].includes(k)) fail(`${loc}.${k}`, 'unknown field');
    const spec = cc as unknown as CameraSpec;
    const problem = cameraSpecProblem(spec);
    if (problem) fail(loc, problem);
    return { ...spec };
  });

  let noise: EstimatorNoise = {};
  if (r.noise !== undefined) {
    if (!isObject(r.noise)) fail('noise', 'must be an object');
    noise = { ...(r.noise as EstimatorNoise) };
    const problem = estimatorNoiseProblem(noise);
    if (problem) fail('noise', problem);
  }

  const checkCameras = (v: Json | undefined, loc: string): number[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0) return fail(loc, 'must be a non-empty array of camera indices');
    const seen = new Set<number>();
    for (const k of v) {
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= cameras.length) fail(loc, `camera index ${jsonPreview(k)} is not in [0, ${cameras.length - 1}]`);
      if (seen.has(k as number)) fail(loc, `camera index ${k} appears twice`);
      seen.add(k as number);
    }
    return [...(v as number[])];
  };
  const checkSeed = (v: Json | undefined, loc: string): number | string | undefined => {
    if (v === undefined) return undefined;
    if (!((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string')) fail(loc, 'must be a number or a string');
    return v as number | string;
  };
  const checkClip = (v: Json | undefined, loc: string): string => {
    if (typeof v !== 'string' || !CLIP_NAME.test(v)) return fail(loc, `must be a clip name, got ${jsonPreview(v ?? null)}`);
    if (!clips[v] && !cmuClipFiles(v)) fail(loc, `unknown clip '${v}' (not in "clips" and not a CMU name like 02_01)`);
    return v;
  };
  const checkFrame = (v: Json | undefined, loc: string, required: boolean): number | undefined => {
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return fail(loc, `must be a frame number (integer ≥ 0), got ${jsonPreview(v ?? null)}`);
    return v;
  };

  if (!Array.isArray(r.train) || r.train.length === 0) fail('train', 'must be a non-empty array of training clips');
  const train = (r.train as Json[]).map((e, i): ManifestTrainEntry => {
    const loc = `train[${i}]`;
    if (!isObject(e)) return fail(loc, 'must be an object { clip, from?, to?, cameras?, seed? }');
    for (const k of Object.keys(e)) if (!['clip', 'from', 'to', 'cameras', 'seed', 'note'].includes(k)) fail(`${loc}.${k}`, 'unknown field');
    const clip = checkClip(e.clip, `${loc}.clip`);
    const from = checkFrame(e.from, `${loc}.from`, false);
    const to = checkFrame(e.to, `${loc}.to`, false);
    if (from !== undefined && to !== undefined && to <= from) fail(loc, `empty frame range [${from}, ${to})`);
    const cams = checkCameras(e.cameras, `${loc}.cameras`);
    const seed = checkSeed(e.seed, `${loc}.seed`);
    return { clip, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), ...(cams ? { cameras: cams } : {}), ...(seed !== undefined ? { seed } : {}) };
  });

  if (!Array.isArray(r.test) || r.test.length === 0) fail('test', 'must be a non-empty array of test clips');
  const test = (r.test as Json[]).map((e, i): ManifestTestEntry => {
    const loc = `test[${i}]`;
    if (!isObject(e)) return fail(loc, 'must be an object { segments, cameras?, seed?, armRotation? }');
    for (const k of Object.keys(e)) if (!['segments', 'cameras', 'seed', 'note', 'armRotation'].includes(k)) fail(`${loc}.${k}`, 'unknown field');
    if (!Array.isArray(e.segments) || e.segments.length === 0) fail(`${loc}.segments`, 'must be a non-empty array of { clip, from, to, label }');
    const segments = (e.segments as Json[]).map((s, k): ManifestSegment => {
      const sl = `${loc}.segments[${k}]`;
      if (!isObject(s)) return fail(sl, 'must be an object { clip, from, to, label }');
      for (const key of Object.keys(s)) if (!['clip', 'from', 'to', 'label', 'note', 'normalCameras'].includes(key)) fail(`${sl}.${key}`, 'unknown field');
      const clip = checkClip(s.clip, `${sl}.clip`);
      const from = checkFrame(s.from, `${sl}.from`, true)!;
      const to = checkFrame(s.to, `${sl}.to`, true)!;
      if (to <= from) fail(sl, `empty frame range [${from}, ${to})`);
      if (s.label !== 'normal' && s.label !== 'abnormal') fail(`${sl}.label`, `must be "normal" or "abnormal", got ${jsonPreview(s.label ?? null)}`);
      const normalCameras = checkCameras(s.normalCameras, `${sl}.normalCameras`);
      if (normalCameras && s.label !== 'abnormal') fail(`${sl}.normalCameras`, 'applies to abnormal segments only');
      return { clip, from, to, label: s.label as 'normal' | 'abnormal', ...(normalCameras ? { normalCameras } : {}) };
    });
    const cams = checkCameras(e.cameras, `${loc}.cameras`);
    const seed = checkSeed(e.seed, `${loc}.seed`);
    let armRotation: ArmRotation | undefined;
    if (e.armRotation !== undefined) {
      const al = `${loc}.armRotation`;
      const a = e.armRotation;
      if (!isObject(a)) return fail(al, 'must be an object { arm, from, to, abduction?, elbow?, rampFrames? }');
      for (const k of Object.keys(a)) if (!['arm', 'from', 'to', 'abduction', 'elbow', 'rampFrames', 'note'].includes(k)) fail(`${al}.${k}`, 'unknown field');
      if (a.arm !== 'left' && a.arm !== 'right') fail(`${al}.arm`, `must be "left" or "right", got ${jsonPreview(a.arm ?? null)}`);
      const from = checkFrame(a.from, `${al}.from`, true)!;
      const to = checkFrame(a.to, `${al}.to`, true)!;
      if (to <= from) fail(al, `empty frame range [${from}, ${to})`);
      for (const k of ['abduction', 'elbow'] as const) if (a[k] !== undefined && (typeof a[k] !== 'number' || !Number.isFinite(a[k]) || Math.abs(a[k]) > 180)) fail(`${al}.${k}`, `must be an angle in degrees within ±180, got ${jsonPreview(a[k])}`);
      const ramp = checkFrame(a.rampFrames, `${al}.rampFrames`, false);
      armRotation = {
        arm: a.arm as 'left' | 'right',
        from,
        to,
        ...(a.abduction !== undefined ? { abduction: a.abduction as number } : {}),
        ...(a.elbow !== undefined ? { elbow: a.elbow as number } : {}),
        ...(ramp !== undefined ? { rampFrames: ramp } : {}),
      };
    }
    return { segments, ...(cams ? { cameras: cams } : {}), ...(seed !== undefined ? { seed } : {}), ...(armRotation ? { armRotation } : {}) };
  });
  if (train.length + test.length > 9999) fail('top level', 'at most 9999 train + test entries (clip names are SS_CCCC)');

  return {
    format: MOCAP_MANIFEST_FORMAT,
    name: r.name as string,
    ...(typeof r.description === 'string' ? { description: r.description } : {}),
    fps: fps as number,
    clips,
    cameras,
    noise,
    blendFrames: blendFrames as number,
    train,
    test,
  };
}

/**
 * The source clip names a manifest uses, in order of first use.
 *
 * @example
 * ```ts
 * manifestClipNames(manifest); // ['02_01', '03_01', ...]
 * ```
 */
export function manifestClipNames(manifest: MocapManifest): string[] {
  const names = new Set<string>();
  for (const e of manifest.train) names.add(e.clip);
  for (const e of manifest.test) for (const s of e.segments) names.add(s.clip);
  return [...names];
}

/**
 * The files of a source clip: the manifest's `clips` entry, else the CMU layout
 * ({@link cmuClipFiles}).
 *
 * @throws InputError when neither applies.
 * @example
 * ```ts
 * manifestClipFiles(manifest, '02_01', 'cmu.json'); // { asf: '02/02.asf', amc: '02/02_01.amc' }
 * ```
 */
export function manifestClipFiles(manifest: MocapManifest, name: string, source: string): ManifestClip {
  const c = manifest.clips[name] ?? cmuClipFiles(name);
  if (!c) throw new InputError(`unknown clip '${name}'`, { source, location: `clips.${name}` });
  return c;
}

/**
 * Checks every clip reference and frame range of a manifest against the clips' lengths.
 *
 * @param manifest - the parsed manifest.
 * @param nFrames - frames of each source clip at its own frame rate (clip name → count); a name
 *   missing here is an unknown clip.
 * @param source - the manifest's file name, for messages.
 * @throws InputError naming the manifest and the entry, e.g. `test[2].segments[1]: frame range
 *   [0, 5000) is outside clip 02_05 (1854 frames)`.
 * @example
 * ```ts
 * checkManifestRanges(manifest, new Map([['02_01', 343]]), 'cmu.json');
 * ```
 */
export function checkManifestRanges(manifest: MocapManifest, nFrames: ReadonlyMap<string, number>, source: string): void {
  const check = (clip: string, from: number, to: number, loc: string) => {
    const n = nFrames.get(clip);
    if (n === undefined) throw new InputError(`unknown clip '${clip}'`, { source, location: loc });
    if (from < 0 || to > n || from >= to) {
      throw new InputError(`frame range [${from}, ${to}) is outside clip ${clip} (${n} frames)`, { source, location: loc });
    }
  };
  manifest.train.forEach((e, i) => {
    const n = nFrames.get(e.clip);
    check(e.clip, e.from ?? 0, e.to ?? n ?? 0, `train[${i}]`);
  });
  manifest.test.forEach((e, i) => e.segments.forEach((s, k) => check(s.clip, s.from, s.to, `test[${i}].segments[${k}]`)));
}
