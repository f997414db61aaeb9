import { InputError, type TrainingState } from '@skelflow/base';
import {
  configFromFlags,
  nodeHook,
  POSE_EVAL_SEGMENTATION,
  recipeFlags,
  type AnomalyModel,
  type FlagSpec,
  type InputSpec,
  type ModelFamily,
  type PoseTrainingSet,
  type Recipe,
  type SaveOptions,
  type ScoreOptions,
  type TrainData,
  type TrainOptions,
  type TrainResult,
} from '@skelflow/model';
import { stgNfFamily, trainStgNf, type StgNf } from '@skelflow/stg-nf';
import type { MgNetLevels } from './config.js';
import { MGNET_KIND } from './files.js';
import { MgNet } from './model.js';
import type { loadMgNet, saveMgNet } from './persist.js';
import { MGNET_CHANNELS, mgnetSegments, teacherInput } from './segments.js';
import { trainMgNet, type MgNetProgress } from './train.js';

const NODE_ENTRY = '@skelflow/mgnet/node';

/** MGNet's config as a model family: STG-NF's segments (for the teacher), the student's sizes, epochs and score weights. */
export interface MgNetFamilyConfig extends Recipe {
  /** Levels on: `1` (motion), `12` (+ appearance), `123` (+ scene). */
  levels: MgNetLevels;
  /** An STG-NF model (folder or released checkpoint) to use as the frozen teacher; absent = train one first. */
  teacher?: string;
  /** Epochs of the teacher trained when no `teacher` is given (STG-NF's recipe otherwise). */
  teacherEpochs: number;
  /** Level-2 epochs (`epochs` are level 1's). */
  appEpochs: number;
  /** Every k-th training segment trains the student (the teacher sees all). */
  studentEvery: number;
  dim: number;
  heads: number;
  layers: number;
  /** `on` / `off`: one LSTA module on each encoder's token grid. */
  lsta: 'on' | 'off';
  headHidden: number;
  appDim: number;
  memoryItems: number;
  bsmmTemperature: number;
  maskRatio: number;
  lambdaApp: number;
  lambdaMm: number;
  renderSeed: number;
}

/**
 * Defaults: STG-NF's segments (T = 24, stride 6, flips) so that the teacher trained here is STG-NF
 * with its own recipe; the student on every 4th of them, Adam 1e-3, batch 32, 4 + 2 epochs; the
 * card's sizes for a small reproduction (D = 32, one block, one LSTA, N = 10, γ = 0.5, λ = 1).
 */
const RECIPE: MgNetFamilyConfig = {
  ...stgNfFamily.recipe,
  epochs: 4,
  batchSize: 32,
  lr: 1e-3,
  levels: '123',
  teacherEpochs: stgNfFamily.recipe.epochs,
  appEpochs: 2,
  studentEvery: 4,
  dim: 32,
  heads: 4,
  layers: 1,
  lsta: 'on',
  headHidden: 64,
  appDim: 32,
  memoryItems: 10,
  bsmmTemperature: 1,
  maskRatio: 0.5,
  lambdaApp: 1,
  lambdaMm: 1,
  renderSeed: 0,
};

const FLAGS: readonly FlagSpec[] = [
  ...recipeFlags(RECIPE, ['seg-len', 'epochs', 'batch', 'lr', 'seed']),
  { name: 'levels', type: 'string', default: RECIPE.levels, choices: ['1', '12', '123'], help: 'levels on: 1 motion, 12 + appearance, 123 + scene (BSMM)' },
  { name: 'teacher', type: 'string', help: 'STG-NF model (folder or checkpoint) used as the frozen teacher; default: train one on the same data first' },
  { name: 'teacher-epochs', type: 'int', default: RECIPE.teacherEpochs, help: 'epochs of the teacher trained when no --teacher is given' },
  { name: 'app-epochs', type: 'int', default: RECIPE.appEpochs, help: 'level-2 (masked distillation) epochs; --epochs are level 1’s' },
  { name: 'student-every', type: 'int', default: RECIPE.studentEvery, help: 'train the student on every k-th training segment' },
  { name: 'dim', type: 'int', default: RECIPE.dim, help: 'token width D of the encoders' },
  { name: 'heads', type: 'int', default: RECIPE.heads, help: 'attention heads' },
  { name: 'layers', type: 'int', default: RECIPE.layers, help: 'Transformer blocks per encoder' },
  { name: 'lsta', type: 'string', default: RECIPE.lsta, choices: ['on', 'off'], help: 'one LSTA module on each encoder’s token grid' },
  { name: 'head-hidden', type: 'int', default: RECIPE.headHidden, help: 'hidden width of the motion head H_B' },
  { name: 'app-dim', type: 'int', default: RECIPE.appDim, help: 'C_app, width of the appearance features' },
  { name: 'memory-items', type: 'int', default: RECIPE.memoryItems, min: 2, help: 'items N_b = N_s = N_r of each memory' },
  { name: 'bsmm-temperature', type: 'number', default: RECIPE.bsmmTemperature, help: 'τ of the BSMM read weights softmax(cos/τ) (paper: 1)' },
  { name: 'mask-ratio', type: 'number', default: RECIPE.maskRatio, help: 'masked fraction γ of the patches' },
  { name: 'lambda-app', type: 'number', default: RECIPE.lambdaApp, min: 0, help: 'λ_app of the appearance score' },
  { name: 'lambda-mm', type: 'number', default: RECIPE.lambdaMm, min: 0, help: 'λ_mm of the behaviour–scene matching score' },
  { name: 'render-seed', type: 'int', default: RECIPE.renderSeed, min: 0, help: 'seed of the rendered scene backgrounds' },
];

function inputOf(segLen: number): InputSpec {
  return { layout: 'mgnet-openpose18', dims: 2, channels: MGNET_CHANNELS, segLen, joints: 18 };
}

/** A trained MGNet behind the {@link AnomalyModel} contract; scores are −S (min–max per video, fused). */
export class MgNetAnomalyModel implements AnomalyModel {
  /** `mgnet`. */
  readonly kind = MGNET_KIND;
  /**
   * `[7, T, 18]` packed segments (`mgnetSegments`): the teacher's normalised x, y, the raw pixels and
   * confidences the crops are rendered from, the scene code and the video index.
   */
  readonly input: InputSpec;

  constructor(
    /** The wrapped network. */
    readonly net: MgNet,
  ) {
    this.input = inputOf(net.config.segLen);
  }

  scoreSegments(data: Float32Array, options: ScoreOptions = {}): Float64Array {
    return this.net.scoreSegments(data, options);
  }

  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    await nodeHook<typeof saveMgNet>('mgnet:save', NODE_ENTRY)(dir, this.net, options.meta ?? {}, { overwrite: options.overwrite ?? false, ...(options.keep ? { keep: options.keep } : {}) });
  }

  dispose(): void {
    this.net.dispose();
  }
}

function build(config: MgNetFamilyConfig, teacher?: StgNf['config']): MgNet {
  return new MgNet({
    segLen: config.segLen,
    ...(teacher ? { teacher } : {}),
    levels: config.levels,
    dim: config.dim,
    heads: config.heads,
    layers: config.layers,
    lsta: config.lsta === 'on',
    headHidden: config.headHidden,
    appDim: config.appDim,
    memoryItems: config.memoryItems,
    bsmmTemperature: config.bsmmTemperature,
    maskRatio: config.maskRatio,
    lambdaApp: config.lambdaApp,
    lambdaMm: config.lambdaMm,
    renderSeed: config.renderSeed,
    seed: config.seed,
  });
}

function trainingData(set: PoseTrainingSet, config: MgNetFamilyConfig): TrainData {
  const segs = (flip: boolean) => mgnetSegments(set.normal.clips, { segLen: config.segLen, stride: config.trainStride, flipHorizontal: flip });
  const plain = segs(false);
  if (plain.meta.clip.length === 0) throw new InputError(`no person is tracked for more than ${config.segLen} frames, so there is no training segment`, { source: set.normal.source });
  if (!config.flipHorizontal) return { segments: plain.data };
  const flipped = segs(true);
  const all = new Float32Array(plain.data.length + flipped.data.length);
  all.set(plain.data);
  all.set(flipped.data, plain.data.length);
  return { segments: all };
}

async function train(target: MgNetAnomalyModel | MgNetFamilyConfig, data: TrainData, options: TrainOptions<MgNetFamilyConfig> = {}): Promise<TrainResult<MgNetAnomalyModel>> {
  const config: MgNetFamilyConfig = { ...RECIPE, ...(target instanceof MgNetAnomalyModel ? {} : target), ...options.config };
  const source = 'mgnetFamily.train';
  const per = MGNET_CHANNELS * config.segLen * 18;
  const n = data.segments.length / per;
  if (!Number.isInteger(n) || n === 0) throw new InputError(`training data must hold at least one [${MGNET_CHANNELS}, ${config.segLen}, 18] segment`, { source });
  const resume: TrainingState | undefined = options.resume;
  const given = target instanceof MgNetAnomalyModel ? target : null;
  let model = given;
  try {
    // The frozen teacher: the given STG-NF, or one trained here first on the same segments (same seed).
    let teacherToTrain = false;
    if (!model) {
      if (config.teacher) {
        const t = await stgNfFamily.load(config.teacher);
        try {
          if (t.net.config.segLen !== config.segLen) throw new InputError(`the teacher takes ${t.net.config.segLen}-frame segments, MGNet ${config.segLen}`, { source: config.teacher });
          model = new MgNetAnomalyModel(build(config, t.net.config));
          model.net.teacher.loadStateDict(t.net.stateDict());
        } finally {
          t.dispose();
        }
      } else {
        model = new MgNetAnomalyModel(build(config));
        teacherToTrain = true;
      }
    } else {
      teacherToTrain = !config.teacher && (resume?.stage ?? null) === null && resume !== undefined;
    }
    const net = model.net;
    const m = model;
    const teacherBatches = Math.ceil(n / stgNfFamily.recipe.batchSize);
    const studentN = Math.ceil(n / config.studentEvery);
    const studentBatches = Math.ceil(studentN / config.batchSize);
    const teacherSteps = teacherToTrain ? config.teacherEpochs * teacherBatches : 0;
    const stageSteps = { motion: config.epochs * studentBatches, appearance: config.levels !== '1' ? config.appEpochs * studentBatches : 0 };
    const total = teacherSteps + stageSteps.motion + stageSteps.appearance;
    let teacherHistory: number[] = [];
    if (teacherToTrain) {
      teacherHistory = await trainStgNf(net.teacher, teacherInput(data.segments, Array.from({ length: n }, (_, i) => i), config.segLen), undefined, {
        epochs: config.teacherEpochs,
        batchSize: stgNfFamily.recipe.batchSize,
        lr: stgNfFamily.recipe.lr,
        seed: config.seed,
        ...(resume ? { resume } : {}),
        ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
        ...(options.onCheckpoint ? { onCheckpoint: (state) => options.onCheckpoint!(m, state) } : {}),
        ...(options.onProgress ? { onBatch: (p) => options.onProgress!({ done: p.epoch * teacherBatches + p.batch + 1, total, epoch: p.epoch, loss: p.loss, message: 'teacher (STG-NF)' }) } : {}),
      });
      net.teacher.eval();
    }
    const offset = (p: MgNetProgress) => teacherSteps + (p.stage === 'appearance' ? stageSteps.motion : 0) + p.epoch * p.batches + p.batch + 1;
    const history = await trainMgNet(net, data.segments, {
      epochs: config.epochs,
      appEpochs: config.appEpochs,
      batchSize: config.batchSize,
      lr: config.lr,
      studentEvery: config.studentEvery,
      seed: config.seed,
      ...(resume && resume.stage ? { resume } : {}),
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      ...(options.onCheckpoint ? { onCheckpoint: (state) => options.onCheckpoint!(m, state) } : {}),
      ...(options.onProgress
        ? {
            onProgress: (p: MgNetProgress) => {
              if (p.stage === 'motion' || p.stage === 'appearance') options.onProgress!({ done: offset(p), total, epoch: p.epoch, loss: p.loss, message: p.stage });
              else options.onProgress!({ done: total, total, message: p.stage });
            },
          }
        : {}),
    });
    return { model, history: [...teacherHistory, ...history.motion, ...history.appearance], nSegments: n };
  } catch (e) {
    if (!given) model?.dispose();
    throw e;
  }
}

/**
 * MGNet as a {@link ModelFamily}: `skelflow train --model mgnet --poses <dir> [--teacher <stg-nf>]`
 * trains (or loads) the STG-NF teacher, then the student levels; `--levels 1|12|123` is the ablation.
 *
 * References: Yang et al., "Multilevel Guidance-Exploration Network and Behavior-Scene Matching
 * Method for Human Behavior Anomaly Detection", ACM MM 2024; model card §5.
 */
export const mgnetFamily: ModelFamily<MgNetAnomalyModel, MgNetFamilyConfig> = {
  kind: MGNET_KIND,
  resumable: true,
  summary: 'MGNet (Yang et al., ACM MM 2024): STG-NF teacher → cube-ViT student on rendered crops, masked distillation, behaviour–scene matching memory; score = −(S_mo + λ S_app + λ S_mm)',
  input: inputOf(RECIPE.segLen),
  recipe: RECIPE,
  flags: FLAGS,
  configure: (values) => configFromFlags<MgNetFamilyConfig>(RECIPE, FLAGS, values),
  create: (config) => new MgNetAnomalyModel(build(config)),
  trainingData,
  evalSegments: (clips, input) => mgnetSegments(clips, { segLen: input.segLen, stride: POSE_EVAL_SEGMENTATION.stride, maxMissing: POSE_EVAL_SEGMENTATION.maxMissing, vidRes: POSE_EVAL_SEGMENTATION.vidRes }),
  train,
  load: async (location) => new MgNetAnomalyModel(await nodeHook<typeof loadMgNet>('mgnet:load', NODE_ENTRY)(location)),
};

