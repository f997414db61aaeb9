import { InputError } from '@skelflow/base';
import { COCO17_KEYPOINTS } from '../layouts/skeletons.js';
import { findDuplicateJsonKey } from './json_duplicates.js';
import { locateJsonSyntaxError, NON_FINITE_SENTINELS, replacePythonNonFinite } from './json_error.js';
import { STGNF_VID_RES } from './normalize.js';
import { coco17Values, type PersonTrack, type PoseDims, type PoseTracks, type PoseTracksJson } from './types.js';

/** Options of {@link parsePoseTrackJson}. */
export interface ParsePoseOptions {
  /**
   * Throw if the file holds no detection at all. Off by default: an empty clip is legitimate at
   * test time (its frames are filled at scoring), but usually a mistake in training data.
   */
  requireNonEmpty?: boolean;
  /**
   * `[width, height]` of the video the poses were estimated on, for the coordinate sanity check
   * (see {@link COORDINATE_LIMIT_FACTOR}). Default `[856, 480]`, STG-NF's `--vid_res`.
   */
  imageSize?: readonly [number, number];
  /**
   * Spatial dimensions of the file's keypoints: 2 (default; 17 × (x, y, confidence) in pixels) or
   * 3 (17 × (x, y, z, confidence) in metres, the `*_tracked_person_3d.json` files of
   * docs/mocap.md, "3-D pose tracks"). A detection of the other arity is refused as mixed 2-D/3-D data.
   */
  dims?: PoseDims;
}

/**
 * A 3-D keypoint coordinate whose magnitude exceeds this many metres is refused (the 3-D
 * counterpart of {@link COORDINATE_LIMIT_FACTOR}): no motion capture or 3-D pose estimator writes
 * it, and it would pass the finiteness checks only to swamp the normalisation.
 */
export const COORDINATE_LIMIT_METRES = 10_000;

/**
 * A keypoint x (y) whose magnitude exceeds this many image widths (heights) is refused: no pose
 * estimator writes it, and a value like 1e30 passes every finiteness check but turns into −∞ scores
 * downstream (STG-NF's normalisation divides by the image size and takes a standard deviation).
 * With the default 856 × 480 image, |x| ≤ 85,600 and |y| ≤ 48,000 pixels.
 */
export const COORDINATE_LIMIT_FACTOR = 100;

/** Largest finite float32; the keypoints are stored as float32 (`dataset.py` L223). */
const FLOAT32_MAX = 3.4028234663852886e38;

const INT_KEY = /^\d+$/;
const MAX_INDEX = 0x7fffffff; // metadata is stored in Int32Array

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') {
    const nf = NON_FINITE_SENTINELS.get(v);
    return nf ?? `the string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + '…' : v)}`;
  }
  return typeof v === 'object' ? 'an object' : String(v);
}

/** JSON.parse silently keeps the last of two equal keys (a whole person or frame lost): refuse them. */
function refuseDuplicateKeys(text: string, source: string): void {
  const dup = findDuplicateJsonKey(text);
  if (dup === undefined) return;
  const [person, frame] = dup.path;
  const where = person === undefined ? `person ${dup.key}` : frame === undefined ? `person ${person}, frame ${dup.key}` : `person ${person}, frame ${frame}`;
  const what = person === undefined ? 'person ' : frame === undefined ? 'frame ' : '';
  throw new InputError(`duplicate ${what}key ${JSON.stringify(dup.key)} (a JSON reader would silently keep only the last one)`, {
    source,
    location: `${where} (line ${dup.line}, column ${dup.column})`,
  });
}

function parseText(text: string, source: string): { root: unknown; sanitised: boolean } {
  if (text.trim() === '') throw new InputError('empty file (expected a JSON object of tracked people)', { source });
  let root: unknown;
  let parsed = false;
  try {
    root = JSON.parse(text);
    parsed = true;
  } catch {
    // fall through to a precise diagnosis
  }
  if (parsed) {
    refuseDuplicateKeys(text, source);
    return { root, sanitised: false };
  }
  const problem = locateJsonSyntaxError(text);
  const replaced = replacePythonNonFinite(text);
  if (replaced !== undefined && locateJsonSyntaxError(replaced) === undefined) {
    // Only non-finite numbers were wrong: parse anyway so the validator can name person/frame.
    refuseDuplicateKeys(replaced, source);
    return { root: JSON.parse(replaced), sanitised: true };
  }
  if (problem === undefined) {
    throw new InputError('malformed JSON', { source });
  }
  throw new InputError(`malformed JSON: expected ${problem.expected}, found ${problem.found}`, {
    source,
    location: `line ${problem.line}, column ${problem.column} (position ${problem.pos})`,
  });
}

function checkIndexKey(key: string, what: string, source: string, location: string | undefined): number {
  if (!INT_KEY.test(key)) {
    throw new InputError(`${what} key ${JSON.stringify(key)} is not a non-negative integer`, { source, location });
  }
  const v = Number(key);
  if (v > MAX_INDEX) throw new InputError(`${what} key ${key} is larger than ${MAX_INDEX}`, { source, location });
  return v;
}

/**
 * Parses one `*_alphapose_tracked_person.json` file of STG-NF (AlphaPose + PoseFlow output
 * converted by STG-NF's `gen_data.py`):
 * `{ "<person>": { "<frame>": { "keypoints": [x, y, c] × 17, "scores": s }, … }, … }`.
 * A person's value may also be a list of such dicts, which are merged (later keys win), as
 * `pose_utils.single_pose_dict2np` does.
 *
 * Frames are sorted **numerically**. The original sorts the frame keys as strings to build the
 * pose rows but as integers to pick segment start frames; the two agree on the zero-padded keys
 * `gen_data.py` writes (`"073"`), and numeric order is the only one that is right for unpadded
 * keys (`"9"`, `"10"`). People are inserted in numeric ID order (`pose_utils.py` L72 sorts with
 * `key=int`), so iterating the map visits `"9"` before `"10"`.
 *
 * Keypoints and scores are stored as float32, as the original casts them (`dataset.py` L223)
 * before any arithmetic.
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `utils/pose_utils.py`
 * `gen_clip_seg_data_np` / `single_pose_dict2np`, `gen_data.py` `convert_data_format`.
 *
 * @param text the file's contents
 * @param source the file name, used in error messages
 * @param options see {@link ParsePoseOptions}
 * @returns the clip's tracks (empty map if the file holds `{}`)
 * @throws InputError naming `source` and the person/frame: empty file, malformed JSON (with line,
 *   column and position), top level not an object, person or frame key not a non-negative integer
 *   (or two keys naming the same number, `"7"` and `"007"`), entry not an object, `keypoints` not
 *   an array of 51 finite numbers (NaN/Infinity written by Python's `json.dump` are reported as
 *   such), a value that overflows float32, an x or y beyond {@link COORDINATE_LIMIT_FACTOR} image
 *   sizes, a key repeated within one object (a duplicate person or frame, which `JSON.parse` would
 *   silently drop), `scores` not a finite number, or no detection at all with `requireNonEmpty`
 *
 * @example
 * ```ts
 * const tracks = parsePoseTrackJson(await file.text(), file.name);
 * for (const [person, t] of tracks) console.log(person, t.frames.length);
 * ```
 */
export function parsePoseTrackJson(text: string, source: string, options: ParsePoseOptions = {}): PoseTracks {
  return poseTracksFromJson(parseText(text, source).root, source, options);
}

/**
 * The converter from the on-disk shape to the in-memory one: checks an already parsed
 * {@link PoseTracksJson} (e.g. what the synthetic generator or `simulatePoseEstimator` returns)
 * exactly as {@link parsePoseTrackJson} checks a file, and returns the typed {@link PoseTracks}.
 *
 * @param json the person id → frame key → detection object
 * @param source a name for error messages
 * @param options see {@link ParsePoseOptions}
 * @returns the clip's tracks
 * @throws InputError as {@link parsePoseTrackJson}
 *
 * @example
 * ```ts
 * const tracks = poseTracksFromJson(simulatePoseEstimator(proj, rng).persons, 'cam0');
 * ```
 */
export function poseTracksFromJson(json: PoseTracksJson | unknown, source: string, options: ParsePoseOptions = {}): PoseTracks {
  const root = json;
  if (!isObject(root)) {
    throw new InputError(`top level must be an object mapping person IDs to frames, got ${describe(root)}`, {
      source,
    });
  }

  const persons: { id: number; key: string; value: Json }[] = [];
  const seenPersons = new Map<number, string>();
  for (const key of Object.keys(root)) {
    const id = checkIndexKey(key, 'person', source, `person ${JSON.stringify(key)}`);
    const prev = seenPersons.get(id);
    if (prev !== undefined) {
      throw new InputError(`person keys ${JSON.stringify(prev)} and ${JSON.stringify(key)} name the same person`, {
        source,
        location: `person ${key}`,
      });
    }
    seenPersons.set(id, key);
    persons.push({ id, key, value: root[key] });
  }
  persons.sort((a, b) => a.id - b.id);

  const [imageW, imageH] = options.imageSize ?? STGNF_VID_RES;
  if (!(imageW! > 0 && imageH! > 0 && Number.isFinite(imageW) && Number.isFinite(imageH))) {
    throw new InputError(`imageSize must be two positive numbers, got [${String(imageW)}, ${String(imageH)}]`, { source });
  }
  const dims = options.dims ?? 2;
  if (dims !== 2 && dims !== 3) throw new InputError(`dims must be 2 or 3, got ${String(dims)}`, { source });
  const values = coco17Values(dims);
  const stride = dims + 1;
  const axes = dims === 2 ? ['x', 'y', 'confidence'] : ['x', 'y', 'z', 'confidence'];
  const limits = dims === 2 ? [COORDINATE_LIMIT_FACTOR * imageW!, COORDINATE_LIMIT_FACTOR * imageH!] : [COORDINATE_LIMIT_METRES, COORDINATE_LIMIT_METRES, COORDINATE_LIMIT_METRES];
  const tracks: PoseTracks = new Map();
  let detections = 0;
  for (const { key: personKey, value } of persons) {
    const loc = `person ${personKey}`;
    let entries: { [k: string]: Json };
    if (isObject(value)) {
      entries = value;
    } else if (Array.isArray(value)) {
      entries = {};
      for (let j = 0; j < value.length; j++) {
        const sub = value[j];
        if (!isObject(sub)) {
          throw new InputError(`list item ${j} must be an object of frames, got ${describe(sub)}`, {
            source,
            location: loc,
          });
        }
        Object.assign(entries, sub);
      }
    } else {
      throw new InputError(`person value must be an object of frames (or a list of them), got ${describe(value)}`, {
        source,
        location: loc,
      });
    }

    const frameKeys = Object.keys(entries);
    const frames = new Array<{ f: number; key: string }>(frameKeys.length);
    for (let j = 0; j < frameKeys.length; j++) {
      const fk = frameKeys[j];
      frames[j] = { f: checkIndexKey(fk, 'frame', source, `${loc}, frame ${JSON.stringify(fk)}`), key: fk };
    }
    frames.sort((a, b) => a.f - b.f);
    const n = frames.length;
    const keypoints = new Float32Array(n * values);
    const scores = new Float32Array(n);
    const frameNums = new Array<number>(n);
    for (let j = 0; j < n; j++) {
      const { f, key: fk } = frames[j];
      const floc = `${loc}, frame ${fk}`;
      if (j > 0 && frames[j - 1].f === f) {
        throw new InputError(`frame keys ${JSON.stringify(frames[j - 1].key)} and ${JSON.stringify(fk)} name the same frame`, {
          source,
          location: floc,
        });
      }
      frameNums[j] = f;
      const entry = entries[fk];
      if (!isObject(entry)) {
        throw new InputError(`detection must be an object with "keypoints" and "scores", got ${describe(entry)}`, {
          source,
          location: floc,
        });
      }
      const kp = entry.keypoints;
      if (!Array.isArray(kp)) {
        throw new InputError(
          kp === undefined ? 'missing "keypoints"' : `"keypoints" must be an array, got ${describe(kp)}`,
          { source, location: floc },
        );
      }
      if (kp.length !== values) {
        const other = coco17Values(dims === 2 ? 3 : 2);
        throw new InputError(
          kp.length === other
            ? `mixed 2-D/3-D data: "keypoints" has ${kp.length} values, a ${dims === 2 ? '3-D' : '2-D'} detection (17 × ${dims === 2 ? 'x, y, z' : 'x, y'}, confidence) in a ${dims}-D file, which needs ${values}${dims === 2 ? ' (3-D tracks go in *_tracked_person_3d.json files)' : ''}`
            : `"keypoints" has ${kp.length} values, expected ${values} (17 COCO joints × ${axes.join(', ')})${kp.length % stride === 0 ? `: ${kp.length / stride} joints instead of 17` : ''}`,
          { source, location: floc },
        );
      }
      const base = j * values;
      for (let k = 0; k < values; k++) {
        const v = kp[k];
        const ji = Math.floor(k / stride);
        const axis = k % stride;
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          const what = typeof v === 'number' || NON_FINITE_SENTINELS.has(v as string) ? 'non-finite' : 'non-numeric';
          throw new InputError(
            `${what} value ${describe(v)} at keypoints[${k}] (joint ${ji} ${axes[axis]})`,
            { source, location: floc },
          );
        }
        const joint = `joint ${ji} (${COCO17_KEYPOINTS[ji]}) ${axes[axis]}`;
        if (Math.abs(v) > FLOAT32_MAX) {
          throw new InputError(`value ${v} at keypoints[${k}] (${joint}) overflows float32 (largest ${FLOAT32_MAX})`, { source, location: floc });
        }
        if (axis < dims && Math.abs(v) > limits[axis]!) {
          throw new InputError(
            dims === 2
              ? `${joint} = ${v} is outside the sane range ±${limits[axis]} (${COORDINATE_LIMIT_FACTOR} × the ${imageW}×${imageH} image ${axis === 0 ? 'width' : 'height'})`
              : `${joint} = ${v} is outside the sane range ±${COORDINATE_LIMIT_METRES} metres`,
            { source, location: floc },
          );
        }
        keypoints[base + k] = v;
      }
      const s = entry.scores;
      if (typeof s !== 'number' || !Number.isFinite(s)) {
        throw new InputError(
          s === undefined ? 'missing "scores" (the detection score)' : `"scores" must be a finite number, got ${describe(s)}`,
          { source, location: floc },
        );
      }
      if (Math.abs(s) > FLOAT32_MAX) {
        throw new InputError(`"scores" ${s} overflows float32 (largest ${FLOAT32_MAX})`, { source, location: floc });
      }
      scores[j] = s;
    }
    detections += n;
    tracks.set(personKey, { frames: frameNums, keypoints, scores } satisfies PersonTrack);
  }

  if (options.requireNonEmpty && detections === 0) {
    throw new InputError('the clip has no tracked person (no detection at all)', { source });
  }
  return tracks;
}
