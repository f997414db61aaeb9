import { epochBatchProgress, nodeHook, poseSegmentFamily, recipeFlags, recipeSegments, trainFamilyModel, type AnomalyModel, type FlagSpec, type InputSpec, type ModelFamily, type PoseTrainingSet, type Recipe, type SaveOptions, type TrainData, type TrainOptions, type TrainResult } from '@skelflow/model';
import type { MsgFlowConfig, MsgFlowScore } from './config.js';
import { MsgFlow, type MsgFlowScoreOptions, type MsgFlowScoreParts } from './model.js';
import { MSGFLOW_KIND } from './files.js';
import type { loadMsgFlow, saveMsgFlow } from './persist.js';

const NODE_ENTRY = '@skelflow/msg-flow/node';
import { trainMsgFlow, type MsgFlowHistory } from './train.js';

/** MSG-Flow's family config: the recipe (its epochs and lr are the flow stage's) plus every model size and stage schedule. */
export interface MsgFlowFamilyConfig extends Recipe {
  vqEpochs: number;
  vqLr: number;
  priorEpochs: number;
  priorLr: number;
  codebook: number;
  codeDim: number;
  vqWidth: number;
  downT: number;
  vqDepth: number;
  dModel: number;
  heads: number;
  layers: number;
  dropout: number;
  hidden: 'predicting' | 'after';
  /** Flow steps (STG-NF's flag name). */
  K: number;
  R: number;
  contextChannels: number;
  lambda: number;
  score: MsgFlowScore;
  /** Flow training engine (`auto`: fused when available). */
  engine?: 'auto' | 'fused' | 'tfjs';
}

/** The card's small-scale rows (§2.2, §2.4) on STG-NF's segments (T 24, stride 6, flips). */
const RECIPE: MsgFlowFamilyConfig = {
  segLen: 24,
  trainStride: 6,
  flipHorizontal: true,
  epochs: 8,
  batchSize: 256,
  lr: 5e-4,
  seed: 999,
  vqEpochs: 4,
  vqLr: 1e-3,
  priorEpochs: 4,
  priorLr: 1e-3,
  codebook: 64,
  codeDim: 16,
  vqWidth: 32,
  downT: 1,
  vqDepth: 2,
  dModel: 32,
  heads: 4,
  layers: 2,
  dropout: 0.1,
  hidden: 'predicting',
  K: 8,
  R: 3,
  contextChannels: 4,
  lambda: 1,
  score: 'fused',
};

const FLAGS: readonly FlagSpec[] = [
  ...recipeFlags(RECIPE, ['seg-len', 'epochs', 'batch', 'lr', 'seed']).map((f) =>
    f.name === 'epochs' ? { ...f, help: 'flow (stage C) epochs' } : f.name === 'lr' ? { ...f, help: 'flow (stage C) Adamax learning rate' } : f,
  ),
  { name: 'vq-epochs', type: 'int', default: RECIPE.vqEpochs, help: 'tokenizer (stage A) epochs' },
  { name: 'vq-lr', type: 'number', default: RECIPE.vqLr, help: 'tokenizer Adam learning rate' },
  { name: 'prior-epochs', type: 'int', default: RECIPE.priorEpochs, help: 'token prior (stage B) epochs' },
  { name: 'prior-lr', type: 'number', default: RECIPE.priorLr, help: 'token prior Adam learning rate' },
  { name: 'codebook', type: 'int', default: RECIPE.codebook, help: 'VQ codebook size K' },
  { name: 'code-dim', type: 'int', default: RECIPE.codeDim, help: 'VQ code dimension D' },
  { name: 'vq-width', type: 'int', default: RECIPE.vqWidth, help: 'VQ-VAE convolution width W' },
  { name: 'down-t', type: 'int', default: RECIPE.downT, min: 0, help: 'VQ temporal downsampling levels (1: 2 frames per token)' },
  { name: 'vq-depth', type: 'int', default: RECIPE.vqDepth, help: 'residual blocks per VQ level' },
  { name: 'd-model', type: 'int', default: RECIPE.dModel, help: 'Transformer width' },
  { name: 'heads', type: 'int', default: RECIPE.heads, help: 'attention heads' },
  { name: 'layers', type: 'int', default: RECIPE.layers, help: 'Transformer blocks' },
  { name: 'dropout', type: 'number', default: RECIPE.dropout, min: 0, help: 'Transformer dropout' },
  { name: 'hidden', type: 'string', default: RECIPE.hidden, choices: ['predicting', 'after'], help: "prior state conditioning a token's frames" },
  { name: 'K', type: 'int', default: RECIPE.K, help: 'flow steps' },
  { name: 'R', type: 'number', default: RECIPE.R, help: 'flow prior radius (normal ~ N(+R, I))' },
  { name: 'context-channels', type: 'int', default: RECIPE.contextChannels, help: 'context channels C_c (principal components of the prior states)' },
  { name: 'lambda', type: 'number', default: RECIPE.lambda, min: 0, help: 'weight of the detail term in the fused score' },
  { name: 'score', type: 'string', default: RECIPE.score, choices: ['fused', 'sem', 'det'], help: 'segment score: fused S, S_sem only, S_det only' },
];

function modelConfig(c: MsgFlowFamilyConfig): MsgFlowConfig {
  return {
    segLen: c.segLen,
    codebook: c.codebook,
    codeDim: c.codeDim,
    vqWidth: c.vqWidth,
    downT: c.downT,
    vqDepth: c.vqDepth,
    dModel: c.dModel,
    heads: c.heads,
    layers: c.layers,
    dropout: c.dropout,
    hidden: c.hidden,
    flowSteps: c.K,
    R: c.R,
    contextChannels: c.contextChannels,
    lambda: c.lambda,
    score: c.score,
    seed: c.seed,
  };
}

/**
 * A trained MSG-Flow behind the {@link AnomalyModel} contract. Scores are −S (the z-scored fused
 * score, or S_sem / S_det alone as `config.score` or the `score` option says).
 */
export class MsgFlowAnomalyModel implements AnomalyModel {
  /** `msg-flow`. */
  readonly kind = MSGFLOW_KIND;
  readonly input: InputSpec;
  /** Every stage's history of the last training run (saved in `config.json` as `training`). */
  history: MsgFlowHistory | null = null;

  constructor(
    /** The wrapped network. */
    readonly net: MsgFlow,
  ) {
    this.input = { layout: 'openpose18', dims: 2, channels: 2, segLen: net.config.segLen, joints: net.config.joints };
  }

  /** Normality per segment (−S by default); accepts MSG-Flow's `score`, `engine` and `threads` options. */
  scoreSegments(data: Float32Array, options: MsgFlowScoreOptions = {}): Float32Array {
    return this.net.scoreSegments(data, options);
  }

  /** S_sem and S_det of every segment (for the ablation without rescoring). */
  scoreParts(data: Float32Array, options: MsgFlowScoreOptions = {}): MsgFlowScoreParts {
    return this.net.scoreParts(data, options);
  }

  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    const training = this.history ? { training: this.history } : {};
    await nodeHook<typeof saveMsgFlow>('msg-flow:save', NODE_ENTRY)(dir, this.net, { ...training, ...(options.meta ?? {}) }, { overwrite: options.overwrite ?? false });
  }

  dispose(): void {
    this.net.dispose();
  }
}

function trainingData(set: PoseTrainingSet, config: MsgFlowFamilyConfig, onWarning?: (message: string) => void): TrainData {
  return { segments: recipeSegments(set.normal.clips, config, set.normal.source, onWarning) };
}

async function train(
  target: MsgFlowAnomalyModel | MsgFlowFamilyConfig,
  data: TrainData,
  options: TrainOptions<MsgFlowFamilyConfig> = {},
): Promise<TrainResult<MsgFlowAnomalyModel>> {
  const config: MsgFlowFamilyConfig = { ...RECIPE, ...(target instanceof MsgFlowAnomalyModel ? {} : target), ...options.config };
  const build = (): MsgFlowAnomalyModel => new MsgFlowAnomalyModel(new MsgFlow(modelConfig(config)));
  return trainFamilyModel(target instanceof MsgFlowAnomalyModel ? target : null, build, data.segments, config.batchSize, 'msgFlowFamily.train', async ({ model, batches }) => {
    // Three stages in one run: progress counts every stage's batches, with the stage as message.
    const total = (config.vqEpochs + config.priorEpochs + config.epochs) * batches;
    const offset = { tokenizer: 0, prior: config.vqEpochs * batches, flow: (config.vqEpochs + config.priorEpochs) * batches };
    const onProgress = options.onProgress;
    const history = await trainMsgFlow(model.net, data.segments, {
      batchSize: config.batchSize,
      seed: config.seed,
      vqEpochs: config.vqEpochs,
      vqLr: config.vqLr,
      priorEpochs: config.priorEpochs,
      priorLr: config.priorLr,
      flowEpochs: config.epochs,
      flowLr: config.lr,
      ...(config.engine ? { engine: config.engine } : {}),
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      ...(options.onCheckpoint ? { onCheckpoint: (state) => options.onCheckpoint!(model, state) } : {}),
      ...(onProgress
        ? {
            onProgress: (p) =>
              onProgress({ done: offset[p.stage] + p.epoch * batches + p.batch + 1, total, epoch: p.epoch, loss: p.loss, message: p.stage }),
            // The codebook-collapse check, once per tokenizer epoch.
            onVqEpoch: (v) =>
              onProgress({ done: (v.epoch + 1) * batches, total, message: `tokenizer epoch ${v.epoch + 1}: perplexity ${v.perplexity.toFixed(1)}, ${v.activeCodes}/${config.codebook} codes active` }),
          }
        : {}),
    });
    model.history = history;
    return history.flow;
  });
}

/**
 * MSG-Flow as a {@link ModelFamily}: the model card's small-scale design (VQ-VAE W 64, D 32,
 * K 64, down_t 1; Transformer 2 × 64 with 4 heads; STG-NF's flow with a 4-channel token context)
 * trained on STG-NF's segments in three frozen stages; `--score sem|det|fused` picks the reported
 * score for ablations.
 *
 * References: Liu et al., "Motion Semantics Guided Normalizing Flow for Privacy-Preserving Video
 * Anomaly Detection", ICME 2026 (arXiv 2603.26745); the design in `../shared/docs/model-cards.md` §2.
 *
 * @example
 * ```ts
 * registry.register(msgFlowFamily);
 * ```
 */
export const msgFlowFamily: ModelFamily<MsgFlowAnomalyModel, MsgFlowFamilyConfig> = {
  kind: MSGFLOW_KIND,
  resumable: true,
  summary: 'MSG-Flow (Liu et al., ICME 2026; card design): VQ-VAE motion tokens, a causal Transformer prior, a token-conditioned STG-NF flow; score = z(token NLL) + z(flow NLL)',
  ...poseSegmentFamily(RECIPE, FLAGS),
  create: (config) => new MsgFlowAnomalyModel(new MsgFlow(modelConfig(config))),
  trainingData,
  train,
  load: async (location) => new MsgFlowAnomalyModel(await nodeHook<typeof loadMsgFlow>('msg-flow:load', NODE_ENTRY)(location)),
};
