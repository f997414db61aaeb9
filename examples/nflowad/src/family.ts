import { Rng } from '@skelflow/base';
import { nodeHook, poseSegmentFamily, poseSegmentInput, recipeFlags, segmentOptionsFor, recipeSegments, trainFamilyModel, type AnomalyModel, type FlagSpec, type InputSpec, type ModelFamily, type PoseTrainingSet, type Recipe, type SaveOptions, type TrainData, type TrainOptions, type TrainResult } from '@skelflow/model';
import { segmentTracks } from '@skelflow/pose';
import type { NflowadConfig, NflowadNormalisation } from './config.js';
import { NFLOWAD_KIND } from './files.js';
import { Nflowad, type NflowadScoreOptions } from './model.js';
import type { loadNflowad, saveNflowad } from './persist.js';
import type { NflowadExplanation, NflowadThresholds } from './score.js';
import { trainNflowad, type NflowadHistory } from './train.js';

const NODE_ENTRY = '@skelflow/nflowad/node';

/** NFlowAD's family config: the recipe (its epochs and lr are the flow stage's) plus every size, weight and the validation split. */
export interface NflowadFamilyConfig extends Recipe {
  maeEpochs: number;
  maeLr: number;
  /** Per-epoch learning-rate decay γ of both stages. */
  lrDecay: number;
  dModel: number;
  heads: number;
  layers: number;
  decoderLayers: number;
  feedforward: number;
  dropout: number;
  maskRatio: number;
  flowSteps: number;
  flowHidden: number;
  alpha: number;
  beta: number;
  normalise: NflowadNormalisation;
  percentile: number;
  clipFraction: number;
  /** Fraction of the training clips (whole clips) held out as the normal validation split. */
  valFraction: number;
}

/** Training data with NFlowAD's normal validation split (segments of whole held-out clips). */
export interface NflowadTrainData extends TrainData {
  /** `[M, C, T, V]` segments of the held-out clips (training stride, no flips). */
  validation?: Float32Array;
}

/** The card's small-scale rows (§4.4, §4.6) on STG-NF's segments (T 24, stride 6, flips). */
const RECIPE: NflowadFamilyConfig = {
  segLen: 24,
  trainStride: 6,
  flipHorizontal: true,
  epochs: 10,
  batchSize: 256,
  lr: 1e-3,
  seed: 999,
  maeEpochs: 10,
  maeLr: 1e-3,
  lrDecay: 0.99,
  dModel: 64,
  heads: 4,
  layers: 2,
  decoderLayers: 0,
  feedforward: 0,
  dropout: 0.1,
  maskRatio: 0.3,
  flowSteps: 4,
  flowHidden: 128,
  alpha: 0.6,
  beta: 0.4,
  normalise: 'frame',
  percentile: 97,
  clipFraction: 0.1,
  valFraction: 0.1,
};

const FLAGS: readonly FlagSpec[] = [
  ...recipeFlags(RECIPE, ['dims', 'layout']),
  ...recipeFlags(RECIPE, ['seg-len', 'epochs', 'batch', 'lr', 'seed']).map((f) =>
    f.name === 'epochs' ? { ...f, help: 'flow (stage 2) epochs' } : f.name === 'lr' ? { ...f, help: 'flow (stage 2) Adam learning rate' } : f,
  ),
  { name: 'mae-epochs', type: 'int', default: RECIPE.maeEpochs, help: 'masked autoencoder (stage 1) epochs' },
  { name: 'mae-lr', type: 'number', default: RECIPE.maeLr, help: 'masked autoencoder Adam learning rate' },
  { name: 'lr-decay', type: 'number', default: RECIPE.lrDecay, help: 'learning-rate decay per epoch γ (both stages)' },
  { name: 'd-model', type: 'int', default: RECIPE.dModel, help: 'Transformer width d' },
  { name: 'heads', type: 'int', default: RECIPE.heads, help: 'attention heads' },
  { name: 'layers', type: 'int', default: RECIPE.layers, help: 'encoder blocks' },
  { name: 'decoder-layers', type: 'int', default: RECIPE.decoderLayers, min: 0, help: 'decoder Transformer blocks before the linear head (0: linear head)' },
  { name: 'feedforward', type: 'int', default: RECIPE.feedforward, min: 0, help: 'Transformer MLP width (0: 4·d)' },
  { name: 'dropout', type: 'number', default: RECIPE.dropout, min: 0, help: 'Transformer dropout' },
  { name: 'mask-ratio', type: 'number', default: RECIPE.maskRatio, help: 'masked fraction ρ of (frame, joint) entries in stage 1' },
  { name: 'flow-steps', type: 'int', default: RECIPE.flowSteps, help: 'Glow steps B' },
  { name: 'flow-hidden', type: 'int', default: RECIPE.flowHidden, help: 'hidden width of each coupling MLP' },
  { name: 'alpha', type: 'number', default: RECIPE.alpha, min: 0, help: 'weight α of the standardised reconstruction term' },
  { name: 'beta', type: 'number', default: RECIPE.beta, min: 0, help: 'weight β of the standardised log-likelihood term' },
  { name: 'normalise', type: 'string', default: RECIPE.normalise, choices: ['frame', 'dataset', 'none'], help: 'input normalisation: per frame (§5.1), per dataset (§3), none' },
  { name: 'percentile', type: 'number', default: RECIPE.percentile, help: 'percentile of the validation scores that sets each threshold' },
  { name: 'clip-fraction', type: 'number', default: RECIPE.clipFraction, help: 'τ_frac: flagged-frame fraction from which a clip is anomalous' },
  { name: 'val-fraction', type: 'number', default: RECIPE.valFraction, min: 0, help: 'fraction of training clips held out (whole clips) to calibrate scores and thresholds' },
];

function modelConfig(c: NflowadFamilyConfig): NflowadConfig {
  // The segments' shape: 2-D OpenPose-18 by default, 3-D (`--dims 3`) and COCO-17 (`--layout coco17`) by flag.
  const input = poseSegmentInput(c);
  return {
    channels: input.channels,
    joints: input.joints,
    layout: input.layout,
    segLen: c.segLen,
    dModel: c.dModel,
    heads: c.heads,
    layers: c.layers,
    decoderLayers: c.decoderLayers,
    feedforward: c.feedforward,
    dropout: c.dropout,
    maskRatio: c.maskRatio,
    flowSteps: c.flowSteps,
    flowHidden: c.flowHidden,
    alpha: c.alpha,
    beta: c.beta,
    normalise: c.normalise,
    percentile: c.percentile,
    clipFraction: c.clipFraction,
    seed: c.seed,
  };
}

/**
 * A trained NFlowAD behind the {@link AnomalyModel} contract: `scoreSegments` is the normality
 * −S_seq; `explainSegments` gives S_t and S_{j,t} (higher = more anomalous) and `thresholds` the
 * 97th-percentile decision thresholds on that scale.
 */
export class NflowadAnomalyModel implements AnomalyModel {
  /** `nflowad`. */
  readonly kind = NFLOWAD_KIND;
  readonly input: InputSpec;
  /** Both stages' history and the calibration of the last training run (saved in `config.json` as `stages`; the CLI writes its own `training`). */
  history: NflowadHistory | null = null;

  constructor(
    /** The wrapped network. */
    readonly net: Nflowad,
  ) {
    const { layout, channels, segLen, joints } = net.config;
    this.input = { layout, dims: channels === 3 ? 3 : 2, channels, segLen, joints };
  }

  /** Normality −S_seq per segment (higher = more normal). */
  scoreSegments(data: Float32Array, options: NflowadScoreOptions = {}): Float64Array {
    return this.net.scoreSegments(data, options);
  }

  /** S_t `[N, T]` and S_{j,t} `[N, T, V]` per segment (higher = more anomalous). */
  explainSegments(data: Float32Array, options: NflowadScoreOptions = {}): NflowadExplanation {
    return this.net.explainSegments(data, options);
  }

  /** τ_joint, τ_frame, τ_seq (97th percentiles of normal validation data) and τ_frac. */
  get thresholds(): NflowadThresholds {
    return this.net.thresholds;
  }

  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    const stages = this.history ? { stages: this.history } : {};
    await nodeHook<typeof saveNflowad>('nflowad:save', NODE_ENTRY)(dir, this.net, { ...stages, ...(options.meta ?? {}) }, { overwrite: options.overwrite ?? false });
  }

  dispose(): void {
    this.net.dispose();
  }
}

/**
 * Training segments (the recipe's stride and flips) of the training clips, and the segments of a
 * normal validation split of whole clips held out from them (`valFraction` of the clips, at least
 * one when there are two or more; seeded by the recipe's seed). Windows of one clip never land on
 * both sides.
 */
function trainingData(set: PoseTrainingSet, config: NflowadFamilyConfig, onWarning?: (message: string) => void): NflowadTrainData {
  const clips = set.normal.clips;
  const nVal = clips.length >= 2 && config.valFraction > 0 ? Math.min(clips.length - 1, Math.max(1, Math.round(config.valFraction * clips.length))) : 0;
  if (nVal === 0) {
    onWarning?.('nflowad: no clip held out for validation; the scores are calibrated on the training segments');
    return { segments: recipeSegments(clips, config, set.normal.source, onWarning) };
  }
  const held = new Set(new Rng(`${config.seed}/validation`).permutation(clips.length).slice(0, nVal));
  const train = clips.filter((_, i) => !held.has(i));
  const val = clips.filter((_, i) => held.has(i));
  const segments = recipeSegments(train, config, set.normal.source, onWarning);
  const validation = segmentTracks(val, { segLen: config.segLen, stride: config.trainStride, ...segmentOptionsFor(val, config, set.normal.source) }).data;
  if (validation.length === 0) {
    onWarning?.('nflowad: the held-out clips give no segment; the scores are calibrated on the training segments');
    return { segments };
  }
  return { segments, validation };
}

async function train(target: NflowadAnomalyModel | NflowadFamilyConfig, data: TrainData, options: TrainOptions<NflowadFamilyConfig> = {}): Promise<TrainResult<NflowadAnomalyModel>> {
  const config: NflowadFamilyConfig = { ...RECIPE, ...(target instanceof NflowadAnomalyModel ? {} : target), ...options.config };
  const build = (): NflowadAnomalyModel => new NflowadAnomalyModel(new Nflowad(modelConfig(config)));
  const validation = (data as NflowadTrainData).validation;
  return trainFamilyModel(target instanceof NflowadAnomalyModel ? target : null, build, data.segments, config.batchSize, 'nflowadFamily.train', async ({ model, batches }) => {
    // Two stages in one run: progress counts both stages' batches, with the stage as message.
    const total = (config.maeEpochs + config.epochs) * batches;
    const offset = { mae: 0, flow: config.maeEpochs * batches };
    const onProgress = options.onProgress;
    const history = await trainNflowad(model.net, data.segments, {
      batchSize: config.batchSize,
      seed: config.seed,
      maeEpochs: config.maeEpochs,
      maeLr: config.maeLr,
      flowEpochs: config.epochs,
      flowLr: config.lr,
      lrDecay: config.lrDecay,
      ...(validation ? { validation } : {}),
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      ...(options.onCheckpoint ? { onCheckpoint: (state) => options.onCheckpoint!(model, state) } : {}),
      ...(onProgress ? { onProgress: (p) => onProgress({ done: offset[p.stage] + p.epoch * batches + p.batch + 1, total, epoch: p.epoch, loss: p.loss, message: p.stage }) } : {}),
    });
    model.history = history;
    return history.flow;
  });
}

/**
 * NFlowAD as a {@link ModelFamily}: the model card's small-scale design (d 64, 2 layers, 4 heads,
 * linear decoder head, 4 Glow steps of hidden 128, T 24) on STG-NF's 2-D segments, trained in two
 * frozen stages and calibrated on whole held-out normal clips.
 *
 * References: Choueb et al., "NFlowAD", Signal Processing: Image Communication; the design in
 * `../shared/docs/model-cards.md` §4.
 *
 * @example
 * ```ts
 * registry.register(nflowadFamily);
 * ```
 */
export const nflowadFamily: ModelFamily<NflowadAnomalyModel, NflowadFamilyConfig> = {
  kind: NFLOWAD_KIND,
  resumable: true,
  summary: 'NFlowAD (Choueb et al., SPIC; card design): masked motion Transformer autoencoder + conditional Glow on its frame embeddings; S_t = 0.6·z(MSE) − 0.4·z(log p), 97th-percentile thresholds',
  ...poseSegmentFamily(RECIPE, FLAGS),
  create: (config) => new NflowadAnomalyModel(new Nflowad(modelConfig(config))),
  trainingData,
  train,
  load: async (location) => new NflowadAnomalyModel(await nodeHook<typeof loadNflowad>('nflowad:load', NODE_ENTRY)(location)),
};
