import type { PoseClip, PoseSegments } from '@skelflow/pose';

/**
 * Keypoint layout of a model's input joints: `openpose18` (COCO-17 plus the neck, OpenPose order —
 * what `segmentTracks` produces), `coco17`, or another layout a family documents.
 */
export type KeypointLayout = 'openpose18' | 'coco17' | (string & {});

/**
 * What one input segment of a model is: `[channels, segLen, joints]` flattened in that order
 * (the `[S, C, T, V]` layout of `@skelflow/pose`'s `segmentTracks`).
 */
export interface InputSpec {
  /** Joint order. */
  layout: KeypointLayout;
  /** Spatial dimensions of a keypoint (2: image x, y; 3: x, y, z). */
  dims: 2 | 3;
  /** Values per joint and frame C (usually `dims`; one more with a confidence channel). */
  channels: number;
  /** Frames per segment T. */
  segLen: number;
  /** Joints per frame V. */
  joints: number;
}

/** Options every {@link AnomalyModel.scoreSegments} accepts; families may accept more. */
export interface ScoreOptions {
  /** Segments per batch (a memory/throughput trade-off; scores do not depend on it). */
  batchSize?: number;
  /** Called after each batch with segments done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Options of {@link AnomalyModel.save}. */
export interface SaveOptions {
  /** Extra fields for `config.json` (training arguments, loss history, data location). */
  meta?: Record<string, unknown>;
  /**
   * Replace the folder if it exists and is not empty. Default `false`: refuse. The folder is
   * replaced as a set (written beside it, fsynced, renamed into place): files of the old folder not
   * in the new model are gone, except those named in `keep`.
   */
  overwrite?: boolean;
  /** Entries of the existing folder to carry over (e.g. a training run's `checkpoint`). */
  keep?: readonly string[];
}

/**
 * Per-frame and per-joint anomaly of segments (higher = more anomalous), what
 * {@link AnomalyModel.explainSegments} returns. NFlowAD (Choueb et al., card §4.3): `frames` holds
 * S_t = α·standardised MSE_t − β·standardised log p(h_t | c) of every frame t of every segment,
 * `joints` the joint term S_{j,t} (the flow term is per frame and cannot be split over joints).
 * Both are on the model's anomaly scale, the one its {@link DecisionThresholds} are on.
 */
export interface SegmentExplanation {
  /** `[N, T]` flattened: S_t of frame t of segment n (T = the input's `segLen`). */
  frames: Float64Array;
  /** `[N, T, V]` flattened: S_{j,t} of joint j (the input's layout order) at frame t of segment n. */
  joints: Float64Array;
}

/**
 * Decision thresholds on the anomaly scale of {@link SegmentExplanation} (NFlowAD: 97th
 * percentiles of normal validation data held out from training, card §4.3). A value is flagged
 * when it is strictly above its threshold; a clip is anomalous when
 * `max_t S_t > frame ∨ mean_t S_t > sequence ∨ S_frac ≥ clipFraction` (Table 2's caption rule),
 * S_frac = #{t : S_t > frame} / T.
 */
export interface DecisionThresholds {
  /** τ_joint: joint j at frame t is flagged when S_{j,t} > joint. */
  joint: number;
  /** τ_frame: frame t is flagged when S_t > frame. */
  frame: number;
  /** τ_seq: a person track (sequence) is flagged when mean_t S_t > sequence. */
  sequence: number;
  /** τ_frac in (0, 1]: the fraction of flagged frames at which a clip is anomalous (paper: 0.1). */
  clipFraction: number;
}

/**
 * A trained pose anomaly detector, whatever its family. Scores are normality scores: higher means
 * more normal (e.g. a log-likelihood), so every model plugs into the same segment → frame → AUC
 * protocol of `@skelflow/pose`.
 */
export interface AnomalyModel {
  /** The family's kind, as registered (`stg-nf`, `pca-gaussian`). */
  readonly kind: string;
  /** The segments this model takes. */
  readonly input: InputSpec;
  /**
   * Normality score of each segment of `data` (`[N, C, T, V]` flattened, see {@link InputSpec}),
   * higher = more normal.
   */
  scoreSegments(data: Float32Array, options?: ScoreOptions): Float64Array | Float32Array;
  /** Optional per-joint normality `[N, V]` flattened, for models that can attribute a score to joints. */
  scoreJoints?(data: Float32Array, options?: ScoreOptions): Float64Array | Float32Array;
  /**
   * Optional: per-frame and per-joint ANOMALY (higher = more anomalous, unlike
   * {@link AnomalyModel.scoreSegments}) of each segment of `data`, for models that decide at joint,
   * frame, sequence and clip level and name the joints behind an alarm (NFlowAD). Front ends map
   * the per-window values to clip frames (`@skelflow/model` `explainClip`) and decide with
   * {@link AnomalyModel.thresholds}.
   */
  explainSegments?(data: Float32Array, options?: ScoreOptions): SegmentExplanation;
  /** Decision thresholds on the scale of {@link AnomalyModel.explainSegments}; present with it. */
  readonly thresholds?: DecisionThresholds;
  /**
   * Saves the model to a folder whose `config.json` carries at least `kind` and `formatVersion`
   * (see {@link SavedModelConfig}); the family's `load` reads it back.
   */
  save(dir: string, options?: SaveOptions): Promise<void>;
  /** Frees what the model holds (tensors, worker threads). The model is unusable afterwards. */
  dispose(): void;
}

/** The fields every saved model folder's `config.json` carries. */
export interface SavedModelConfig {
  /** The family's kind. */
  kind: string;
  /** Version of the family's folder format (starts at 1). */
  formatVersion: number;
  [field: string]: unknown;
}

/** The `formatVersion` written by the families of this release. */
export const MODEL_FORMAT_VERSION = 1;

/**
 * A family's default recipe: how segments are cut for training and how the model is trained.
 * Families extend it with their own fields (STG-NF's `R` and `K`, PCA's component rule).
 */
export interface Recipe {
  /** Frames per segment T. */
  segLen: number;
  /** Step between training window starts (evaluation always uses stride 1). */
  trainStride: number;
  /** Also train on horizontally flipped copies of every segment. */
  flipHorizontal: boolean;
  /** Passes over the training data (1 for closed-form fits). */
  epochs: number;
  /** Segments per training batch. */
  batchSize: number;
  /** Learning rate (unused by closed-form fits). */
  lr: number;
  /** Seed of the initialisation and batch order. */
  seed: number;
}

/** Value types a family flag can declare. `poses` is a folder of pose tracks the front end reads. */
export type FlagType = 'int' | 'number' | 'string' | 'boolean' | 'poses';

/** A parsed flag value. */
export type FlagValue = number | string | boolean;

/**
 * A command-line flag a family declares for `skelflow train` / `benchmark`. The CLI generates its
 * usage text and its parser from these.
 */
export interface FlagSpec {
  /** Flag name without dashes (`seg-len`). */
  name: string;
  /** How the value is parsed. */
  type: FlagType;
  /** The config field the value goes to; default: the name in camelCase (`seg-len` → `segLen`). */
  key?: string;
  /** Default value (shown in the usage text); absent = not set. */
  default?: FlagValue;
  /** One line of help. */
  help: string;
  /** Smallest accepted value of an `int` or `number` flag (default 1 for int, > 0 for number). */
  min?: number;
  /** Accepted values of a `string` flag. */
  choices?: readonly string[];
}

/** Flag values by flag name, as parsed (numbers are numbers). Missing = not given. */
export type FlagValues = Readonly<Record<string, FlagValue | undefined>>;

/** A folder of pose tracks, read, with its location for messages. */
export interface PoseFolder {
  /** The clips. */
  clips: PoseClip[];
  /** Where they were read from. */
  source: string;
}

/** The pose data a family turns into training segments. */
export interface PoseTrainingSet {
  /** Normal training clips. */
  normal: PoseFolder;
  /** Folders given by the family's `poses` flags, by flag name (e.g. STG-NF's `abnormal-poses`). */
  folders?: Readonly<Record<string, PoseFolder>>;
}

/** Prepared training data: normalised segments (`[N, C, T, V]`) and optional labels. */
export interface TrainData {
  /** Segments `[N, C, T, V]` flattened. */
  segments: Float32Array;
  /** `[N]` of +1 (normal) / −1 (abnormal), for supervised families. */
  labels?: Int8Array;
}

/** Progress of a training run. */
export interface TrainProgress {
  /** Steps done (batches, or phases of a closed-form fit). */
  done: number;
  /** Steps in the whole run. */
  total: number;
  /** Current epoch (0-based), for iterative trainers. */
  epoch?: number;
  /** Current loss, when there is one. */
  loss?: number;
  /** A short description of the step. */
  message?: string;
}

/**
 * A training run's state at a checkpoint, beyond the model's own weights: where the epoch loop is,
 * the batch-order stream, the optimiser and exact copies of whatever the saved weights round (the
 * fused engine's float64 buffers). A run resumed from it ends with the same weights, bit for bit,
 * as the uninterrupted run. Plain data: `arrays` are written as float64, the rest as JSON.
 */
export interface TrainingState {
  /** The epoch to run next or to continue (0-based). */
  epoch: number;
  /** Batches of `epoch` already done. */
  batch: number;
  /** Sum of their losses. */
  lossSum: number;
  /** Mean loss of every finished epoch. */
  history: number[];
  /** The divergence rule's window of recent losses. */
  recent: number[];
  /** The batch-order stream's state at the start of `epoch` (`@skelflow/base` `RngState`). */
  rng: unknown;
  /** The training engine the state belongs to (e.g. `fused`, `tfjs`). */
  engine: string;
  /** The optimiser's step count. */
  t: number;
  /** Named float64 arrays: optimiser moments, exact parameter and buffer copies. */
  arrays: Record<string, Float64Array>;
}

/** Options of {@link ModelFamily.train}. */
export interface TrainOptions<C> {
  /** Overrides of the training settings (epochs, batch, lr, seed…) for this run. */
  config?: Partial<C>;
  /** Called as training advances. */
  onProgress?: (p: TrainProgress) => void;
  /**
   * Iterative families call this before the first step, after every epoch and when stopping on
   * request, with the model as it is and the state to continue from; awaited (write a checkpoint).
   */
  onCheckpoint?: (model: AnomalyModel, state: TrainingState) => Promise<void>;
  /** Continue a run from a checkpoint: pass the checkpoint's model as `target` and its state here. */
  resume?: TrainingState;
  /** Asked after every batch; a non-null answer (e.g. `'SIGINT'`) checkpoints and throws `TrainingInterruptedError`. */
  shouldStop?: () => string | null;
}

/** What {@link ModelFamily.train} returns. */
export interface TrainResult<M> {
  /** The trained model (the one passed in, or a new one created from the config). */
  model: M;
  /** The loss after each epoch (one value for closed-form fits: their mean training loss). */
  history: number[];
  /** Training segments used. */
  nSegments: number;
}

/**
 * A model family: everything a front end (the CLI, benchmarks, an app) needs to create, train,
 * save, load and score one kind of model without knowing what it is. `C` is the family's config:
 * its {@link Recipe} plus its own fields.
 *
 * @example
 * ```ts
 * const config = family.configure({ epochs: 2 });
 * const data = family.trainingData({ normal: { clips, source: 'pose/train' } }, config);
 * const { model } = await family.train(config, data, { onProgress: (p) => console.log(p.done, p.total) });
 * const normality = model.scoreSegments(family.evalSegments(testClips, model.input).data);
 * ```
 */
export interface ModelFamily<M extends AnomalyModel = AnomalyModel, C extends Recipe = Recipe> {
  /** Registered name, also written as `kind` in saved folders. */
  readonly kind: string;
  /** One line saying what the model is. */
  readonly summary: string;
  /** The input of a model built from {@link ModelFamily.recipe}. */
  readonly input: InputSpec;
  /** The default config: recipe and family fields. */
  readonly recipe: Readonly<C>;
  /** The command-line flags of this family (training settings and family fields). */
  readonly flags: readonly FlagSpec[];
  /** The config for the given flag values (missing ones take the recipe's defaults). */
  configure(values: FlagValues): C;
  /** A new, untrained model. */
  create(config: C): M;
  /** Training segments (and labels) from pose clips, following the recipe (stride, flips, supervision). */
  trainingData(set: PoseTrainingSet, config: C, onWarning?: (message: string) => void): TrainData;
  /** Evaluation segments (stride 1) of clips for a model with `input`, with the metadata frame scoring needs. */
  evalSegments(clips: PoseClip[], input: InputSpec): PoseSegments;
  /** Trains `target` (a model, trained further) or a new model created from a config. */
  train(target: M | C, data: TrainData, options?: TrainOptions<C>): Promise<TrainResult<M>>;
  /** Loads a model saved by {@link AnomalyModel.save} (or another location the family documents). */
  load(location: string): Promise<M>;
}
