import { InputError } from '@skelflow/base';
import { segmentTracks, STGNF_VID_RES, type PoseClip, type PoseSegments } from '@skelflow/pose';
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
export function recipeFlags(recipe: Recipe, which: readonly ('seg-len' | 'epochs' | 'batch' | 'lr' | 'seed')[]): FlagSpec[] {
  const all: Record<string, FlagSpec> = {
    'seg-len': { name: 'seg-len', type: 'int', default: recipe.segLen, min: 2, help: 'frames per segment' },
    epochs: { name: 'epochs', type: 'int', default: recipe.epochs, help: 'training epochs' },
    batch: { name: 'batch', key: 'batchSize', type: 'int', default: recipe.batchSize, help: 'segments per training batch' },
    lr: { name: 'lr', type: 'number', default: recipe.lr, help: 'learning rate' },
    seed: { name: 'seed', type: 'int', default: recipe.seed, min: 0, help: 'seed of initialisation and batch order' },
  };
  return which.map((w) => all[w]!);
}

/**
 * Normalised training segments of clips as a recipe says: windows of `segLen` every `trainStride`
 * detections, followed (with `flipHorizontal`) by the horizontally flipped copy of every window —
 * STG-NF's training augmentation.
 *
 * @param source the folder the clips came from, for the error when there is no segment at all
 * @param onWarning told about clips without any person
 * @throws InputError when no person is tracked long enough for one segment
 */
export function recipeSegments(clips: PoseClip[], recipe: Recipe, source: string, onWarning?: (message: string) => void): Float32Array {
  for (const c of clips) if (c.tracks.size === 0) onWarning?.(`${c.source ?? c.name}: no person in this clip; it adds no training segment`);
  const plain = segmentTracks(clips, { segLen: recipe.segLen, stride: recipe.trainStride });
  if (plain.meta.clip.length === 0) {
    throw new InputError(`no person is tracked for more than ${recipe.segLen} frames, so there is no training segment`, { source });
  }
  if (!recipe.flipHorizontal) return plain.data;
  const flipped = segmentTracks(clips, { segLen: recipe.segLen, stride: recipe.trainStride, flipHorizontal: true });
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

/** Whether `input` is the `[2, T, 18]` OpenPose-18 segment that pose tracks give (x, y channels). */
export function isPoseSegmentInput(input: InputSpec): boolean {
  return input.layout === 'openpose18' && input.channels === 2 && input.joints === 18;
}

/**
 * Evaluation segments (stride 1, no augmentation, {@link POSE_EVAL_SEGMENTATION}) for a model
 * taking OpenPose-18 `[2, T, 18]` segments, with the metadata `scoresToFrames` needs.
 *
 * @throws InputError for an input spec `segmentTracks` cannot produce
 */
export function poseEvalSegments(clips: PoseClip[], input: InputSpec): PoseSegments {
  if (!isPoseSegmentInput(input)) {
    throw new InputError(`pose tracks give [2, T, 18] OpenPose-18 segments; this model takes [${input.channels}, ${input.segLen}, ${input.joints}] ${input.layout}`, {
      source: 'poseEvalSegments',
    });
  }
  return segmentTracks(clips, { segLen: input.segLen, ...POSE_EVAL_SEGMENTATION });
}

/** The members a family on STG-NF-style pose segments gets from its recipe and flags alone. */
export type PoseSegmentFamilyParts<C extends Recipe> = Pick<ModelFamily<AnomalyModel, C>, 'input' | 'recipe' | 'flags' | 'configure' | 'evalSegments'>;

/**
 * The shared part of a family whose models take `[2, segLen, 18]` OpenPose-18 segments cut by
 * `segmentTracks`: its input spec, recipe, flags, `configure` (the recipe overridden by the given
 * flags) and `evalSegments` (stride 1). Spread it into the family object.
 *
 * @example
 * ```ts
 * export const myFamily: ModelFamily<MyModel, MyConfig> = { kind: 'my-model', summary: '…', ...poseSegmentFamily(RECIPE, FLAGS), create, trainingData, train, load };
 * ```
 */
export function poseSegmentFamily<C extends Recipe>(recipe: C, flags: readonly FlagSpec[]): PoseSegmentFamilyParts<C> {
  return {
    input: { layout: 'openpose18', dims: 2, channels: 2, segLen: recipe.segLen, joints: 18 },
    recipe,
    flags,
    configure: (values) => configFromFlags<C>(recipe, flags, values),
    evalSegments: (clips, input) => poseEvalSegments(clips, input),
  };
}
