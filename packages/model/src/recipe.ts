import { InputError } from '@skelflow/base';
import { SEGMENT_NORMALIZATIONS, segmentTracks, STGNF_VID_RES, type PoseClip, type PoseSegments, type SegmentOptions } from '@skelflow/pose';
import type { AnomalyModel, FlagSpec, FlagValues, InputSpec, ModelFamily, Recipe } from './contract.js';

/**
 * The config field a flag sets: its `key`, or its name in camelCase.
 *
 * @example
 * ```ts
 * flagKey({ name: 'seg-len', type: 'int', help: '' }); // 'segLen'
 * ```
 */
export function flagKey(spec: FlagSpec): string {
  return spec.key ?? spec.name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * A family's config from flag values: the recipe's defaults, overridden by every flag that was
 * given (flags of type `poses` are data, not config, and are skipped).
 *
 * @example
 * ```ts
 * configFromFlags({ segLen: 24, ... }, flags, { 'seg-len': 16 }).segLen; // 16
 * ```
 */
export function configFromFlags<C extends Recipe>(recipe: Readonly<C>, flags: readonly FlagSpec[], values: FlagValues): C {
  const out: Record<string, unknown> = { ...recipe };
  for (const f of flags) {
    if (f.type === 'poses') continue;
    const v = values[f.name];
    if (v !== undefined) out[flagKey(f)] = v;
  }
  return out as C;
}

/**
 * The flags of the common training settings, with a recipe's values as defaults, for families
 * to list first among their own.
 *
 * @param which the settings the family uses (a closed-form fit has no epochs or learning rate)
 */
export function recipeFlags(recipe: Recipe, which: readonly ('seg-len' | 'epochs' | 'batch' | 'lr' | 'seed' | 'dims' | 'layout' | 'normalization')[]): FlagSpec[] {
  const all: Record<string, FlagSpec> = {
    'seg-len': { name: 'seg-len', type: 'int', default: recipe.segLen, min: 2, help: 'frames per segment' },
    epochs: { name: 'epochs', type: 'int', default: recipe.epochs, help: 'training epochs' },
    batch: { name: 'batch', key: 'batchSize', type: 'int', default: recipe.batchSize, help: 'segments per training batch' },
    lr: { name: 'lr', type: 'number', default: recipe.lr, help: 'learning rate' },
    seed: { name: 'seed', type: 'int', default: recipe.seed, min: 0, help: 'seed of initialisation and batch order' },
    dims: { name: 'dims', type: 'int', default: recipe.dims ?? 2, min: 2, help: 'pose tracks: 2 (pixels, pose/) or 3 (metres, pose3d/)' },
    layout: { name: 'layout', type: 'string', default: recipe.layout ?? 'openpose18', choices: ['openpose18', 'coco17'], help: 'joint layout of the segments (coco17: no synthetic neck)' },
    normalization: { name: 'normalization', type: 'string', choices: SEGMENT_NORMALIZATIONS, help: "segment normalisation (default: stg-nf for 2-D, segment for 3-D; frame = per-frame joint standardisation)" },
  };
  return which.map((w) => all[w]!);
}

/**
 * The `segmentTracks` options of a recipe's or input spec's layout, dimensions and normalisation,
 * after checking that `clips` have those dimensions. A recipe without `dims`, `layout` and
 * `normalization` gives `{}` — STG-NF's segments, unchanged.
 *
 * @param source the folder the clips came from, named in the error
 * @throws InputError when `dims` is not 2 or 3, or a clip's dimensions differ from it (3-D tracks
 *   for a 2-D model or the reverse), naming the folder and the first such clip
 */
export function segmentOptionsFor(clips: readonly PoseClip[], spec: { dims?: number; layout?: string; normalization?: string }, source: string): SegmentOptions {
  const dims = spec.dims ?? 2;
  if (dims !== 2 && dims !== 3) throw new InputError(`dims must be 2 or 3, got ${String(dims)}`, { source, location: 'dims' });
  const other = clips.find((c) => (c.dims ?? 2) !== dims);
  if (other) {
    throw new InputError(
      `holds ${other.dims ?? 2}-D pose tracks (${other.source ?? other.name}) but the model takes ${dims}-D input${dims === 3 ? ' (3-D tracks are *_tracked_person_3d.json files, e.g. a mocap dataset\'s pose3d/ folder)' : ' (2-D tracks are *_alphapose_tracked_person.json files; pass --dims 3 to a family that takes 3-D input)'}`,
      { source },
    );
  }
  const out: SegmentOptions = {};
  if (spec.layout !== undefined) out.layout = spec.layout as SegmentOptions['layout'];
  if (spec.normalization !== undefined) out.normalization = spec.normalization as SegmentOptions['normalization'];
  return out;
}

/**
 * Normalised training segments of clips as a recipe says: windows of `segLen` every `trainStride`
 * detections, followed (with `flipHorizontal`) by the flipped copy of every window — STG-NF's
 * training augmentation (for 3-D clips a mirror with left and right swapped). The recipe's
 * `dims`, `layout` and `normalization` (all optional; absent = STG-NF's 2-D OpenPose-18
 * segments) choose the segments: `[N, dims, segLen, V]`.
 *
 * @param source the folder the clips came from, for the error when there is no segment at all
 * @param onWarning told about clips without any person
 * @throws InputError when no person is tracked long enough for one segment, or the clips' dimensions
 *   are not the recipe's (naming the folder)
 */
export function recipeSegments(clips: PoseClip[], recipe: Recipe, source: string, onWarning?: (message: string) => void): Float32Array {
  const options = segmentOptionsFor(clips, recipe, source);
  for (const c of clips) if (c.tracks.size === 0) onWarning?.(`${c.source ?? c.name}: no person in this clip; it adds no training segment`);
  const plain = segmentTracks(clips, { segLen: recipe.segLen, stride: recipe.trainStride, ...options });
  if (plain.meta.clip.length === 0) {
    throw new InputError(`no person is tracked for more than ${recipe.segLen} frames, so there is no training segment`, { source });
  }
  if (!recipe.flipHorizontal) return plain.data;
  const flipped = segmentTracks(clips, { segLen: recipe.segLen, stride: recipe.trainStride, flipHorizontal: true, ...options });
  const all = new Float32Array(plain.data.length + flipped.data.length);
  all.set(plain.data);
  all.set(flipped.data, plain.data.length);
  return all;
}

/**
 * How families on pose segments cut and normalise evaluation segments ({@link poseEvalSegments}):
 * every window start (stride 1), windows with at most 2 of their `segLen` frames missing, pixel
 * coordinates divided by `[856, 480]` (STG-NF's `--vid_res` default) before each segment is centred
 * and scaled by its std(y). `StreamingScorer` uses the same values, so its windows are these.
 */
export const POSE_EVAL_SEGMENTATION: Readonly<{ stride: number; maxMissing: number; vidRes: readonly [number, number] }> = Object.freeze({
  stride: 1,
  maxMissing: 2,
  vidRes: STGNF_VID_RES,
});

/** Whether `input` is STG-NF's `[2, T, 18]` OpenPose-18 segment (x, y channels, STG-NF's normalisation). */
export function isPoseSegmentInput(input: InputSpec): boolean {
  return input.layout === 'openpose18' && input.channels === 2 && input.joints === 18 && (input.normalization === undefined || input.normalization === 'stg-nf');
}

/**
 * The input spec of a family on pose segments with this recipe: OpenPose-18 `[2, segLen, 18]`
 * for STG-NF's recipe; `dims`, `layout` and `normalization` from the recipe when it sets them
 * (`[3, segLen, 17]` for `{ dims: 3, layout: 'coco17' }`).
 *
 * @throws InputError when `dims` is not 2 or 3
 */
export function poseSegmentInput(recipe: Recipe): InputSpec {
  const dims = recipe.dims ?? 2;
  if (dims !== 2 && dims !== 3) throw new InputError(`dims must be 2 or 3, got ${String(dims)}`, { source: 'poseSegmentInput', location: 'dims' });
  const layout = recipe.layout ?? 'openpose18';
  const input: InputSpec = { layout, dims, channels: dims, segLen: recipe.segLen, joints: layout === 'coco17' ? 17 : 18 };
  if (recipe.normalization !== undefined) input.normalization = recipe.normalization;
  return input;
}

/**
 * Evaluation segments (stride 1, no augmentation, {@link POSE_EVAL_SEGMENTATION}) for a model
 * taking pose segments — OpenPose-18 or COCO-17 joints, 2-D or 3-D, with the metadata
 * `scoresToFrames` needs. The clips must have the input's dimensions.
 *
 * @throws InputError for an input spec `segmentTracks` cannot produce, or clips of the other dimensions
 */
export function poseEvalSegments(clips: PoseClip[], input: InputSpec): PoseSegments {
  const joints = input.layout === 'openpose18' ? 18 : input.layout === 'coco17' ? 17 : -1;
  if (joints !== input.joints || (input.dims !== 2 && input.dims !== 3) || input.channels !== input.dims) {
    throw new InputError(`pose tracks give [dims, T, 18] OpenPose-18 or [dims, T, 17] COCO-17 segments with dims 2 or 3; this model takes [${input.channels}, ${input.segLen}, ${input.joints}] ${input.layout} (dims ${input.dims})`, {
      source: 'poseEvalSegments',
    });
  }
  const options = segmentOptionsFor(clips, input, 'poseEvalSegments');
  return segmentTracks(clips, { segLen: input.segLen, ...POSE_EVAL_SEGMENTATION, ...options });
}

/** The members a family on STG-NF-style pose segments gets from its recipe and flags alone. */
export type PoseSegmentFamilyParts<C extends Recipe> = Pick<ModelFamily<AnomalyModel, C>, 'input' | 'recipe' | 'flags' | 'configure' | 'evalSegments'>;

/**
 * The shared part of a family whose models take segments cut by `segmentTracks` (`[2, segLen, 18]`
 * OpenPose-18 for STG-NF's recipe; see {@link poseSegmentInput} for 3-D and COCO-17): its input spec, recipe, flags, `configure` (the recipe overridden by the given
 * flags) and `evalSegments` (stride 1). Spread it into the family object.
 *
 * @example
 * ```ts
 * export const myFamily: ModelFamily<MyModel, MyConfig> = { kind: 'my-model', summary: '…', ...poseSegmentFamily(RECIPE, FLAGS), create, trainingData, train, load };
 * ```
 */
export function poseSegmentFamily<C extends Recipe>(recipe: C, flags: readonly FlagSpec[]): PoseSegmentFamilyParts<C> {
  return {
    input: poseSegmentInput(recipe),
    recipe,
    flags,
    configure: (values) => configFromFlags<C>(recipe, flags, values),
    evalSegments: (clips, input) => poseEvalSegments(clips, input),
  };
}
