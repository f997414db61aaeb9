import { epochBatchProgress, nodeHook, poseSegmentFamily, recipeFlags, recipeSegments, trainFamilyModel, type AnomalyModel, type FlagSpec, type InputSpec, type ModelFamily, type PoseTrainingSet, type Recipe, type SaveOptions, type TrainData, type TrainOptions, type TrainResult } from '@skelflow/model';
import type { DsnfLoss } from './config.js';
import { createDsnf, type Dsnf, type DsnfScoreOptions } from './model.js';
import { DSNF_KIND } from './files.js';
import type { loadDsnf, saveDsnf } from './persist.js';

const NODE_ENTRY = '@skelflow/dsnf/node';
import { trainDsnf } from './train.js';
import { stgNfFamily } from '@skelflow/stg-nf';

/** DSNF's config as a model family: STG-NF's recipe, the dual-space sizes and the objective with its ablation switches. */
export interface DsnfFamilyConfig extends Recipe {
  R: number;
  K: number;
  /** `learnable` (g = 0 at init) or `zero` (g ≡ 0, the hyperbolic branch is not built). */
  gate: 'learnable' | 'zero';
  /** `nll`, `mass` (input-space approximate mass) or `awam`. */
  loss: DsnfLoss;
  hyperbolicDim: number;
  hgcnLayers: number;
  /** Initial curvature c. */
  curvature: number;
  /** `learnable` (softplus) or `fixed`. */
  curvatureMode: 'learnable' | 'fixed';
  /** α of the mass term. */
  alpha: number;
  /** ρ_E, ρ_H of AWAM (the hyperbolic emphasis; ρ_E = ρ_H = 1 turns it off). */
  rhoE: number;
  rhoH: number;
  /** `adaptive` (softmax over the batch) or `constant` weights. */
  weights: 'adaptive' | 'constant';
  /** J, random directions of the mass estimator. */
  directions: number;
  /** Gate learning-rate multiplier s (g = s·γ). */
  gateScale: number;
  engine?: 'auto' | 'fused' | 'tfjs';
}

/** STG-NF's recipe (T = 24, stride 6 + flips, Adamax 5e-4, batch 256, 8 epochs, R = 3, K = 8) and the model card's DSNF defaults. */
const RECIPE: DsnfFamilyConfig = {
  // STG-NF's own recipe object, so the two stay one recipe (the comparison the card asks for).
  ...stgNfFamily.recipe,
  gate: 'learnable',
  loss: 'awam',
  hyperbolicDim: 8,
  hgcnLayers: 1,
  curvature: 1,
  curvatureMode: 'learnable',
  alpha: 0.1,
  rhoE: 0.5,
  rhoH: 1.5,
  weights: 'adaptive',
  directions: 1,
  gateScale: 1,
};

const FLAGS: readonly FlagSpec[] = [
  ...recipeFlags(RECIPE, ['seg-len', 'epochs', 'batch', 'lr', 'seed']),
  { name: 'R', type: 'number', default: RECIPE.R, help: 'prior radius (normal ~ N(+R, I))' },
  { name: 'K', type: 'int', default: RECIPE.K, help: 'flow steps' },
  { name: 'gate', type: 'string', default: RECIPE.gate, choices: ['learnable', 'zero'], help: 'dual-space gate: learnable (g = 0 at init) or zero (g fixed at 0 = STG-NF)' },
  { name: 'loss', type: 'string', default: RECIPE.loss, choices: ['nll', 'mass', 'awam'], help: 'objective: plain NLL, input-space approximate mass, or AWAM' },
  { name: 'hyperbolic-dim', type: 'int', default: RECIPE.hyperbolicDim, help: 'hyperbolic feature size D_h' },
  { name: 'hgcn-layers', type: 'int', default: RECIPE.hgcnLayers, help: 'HGCN layers per conditioner' },
  { name: 'curvature', type: 'number', default: RECIPE.curvature, help: 'initial curvature c of the Poincaré ball' },
  { name: 'curvature-mode', type: 'string', default: RECIPE.curvatureMode, choices: ['learnable', 'fixed'], help: 'learn c (softplus) or keep it fixed' },
  { name: 'alpha', type: 'number', default: RECIPE.alpha, min: 0, help: 'weight α of the approximate-mass term (mass, awam)' },
  { name: 'rho-e', key: 'rhoE', type: 'number', default: RECIPE.rhoE, min: 0, help: 'AWAM emphasis ρ_E of the Euclidean space' },
  { name: 'rho-h', key: 'rhoH', type: 'number', default: RECIPE.rhoH, min: 0, help: 'AWAM emphasis ρ_H of the hyperbolic space' },
  { name: 'weights', type: 'string', default: RECIPE.weights, choices: ['adaptive', 'constant'], help: 'AWAM weights: softmax over the batch, or constant ρ' },
  { name: 'gate-scale', type: 'number', default: RECIPE.gateScale, help: "gate's learning-rate multiplier s (g = s·γ, γ trained)" },
  { name: 'directions', type: 'int', default: RECIPE.directions, help: 'random directions J of the mass estimator' },
];

/** A trained DSNF behind the {@link AnomalyModel} contract; scores are −NLL in bits/dim. */
export class DsnfAnomalyModel implements AnomalyModel {
  /** `dsnf`. */
  readonly kind = DSNF_KIND;
  readonly input: InputSpec;

  constructor(
    /** The wrapped network. */
    readonly net: Dsnf,
  ) {
    const { channels, segLen, joints } = net.config;
    this.input = { layout: 'openpose18', dims: 2, channels, segLen, joints };
  }

  scoreSegments(data: Float32Array, options: DsnfScoreOptions = {}): Float32Array {
    return this.net.scoreSegments(data, options);
  }

  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    await nodeHook<typeof saveDsnf>('dsnf:save', NODE_ENTRY)(dir, this.net, { gates: this.net.gates(), curvatures: this.net.curvatures(), ...(options.meta ?? {}) }, { overwrite: options.overwrite ?? false });
  }

  dispose(): void {
    this.net.dispose();
  }
}

function build(config: DsnfFamilyConfig): Dsnf {
  return createDsnf({
    segLen: config.segLen,
    R: config.R,
    K: config.K,
    gate: config.gate,
    hyperbolicDim: config.hyperbolicDim,
    hgcnLayers: config.hgcnLayers,
    curvature: config.curvature,
    learnCurvature: config.curvatureMode === 'learnable',
    gateScale: config.gateScale,
    seed: config.seed,
  });
}

function trainingData(set: PoseTrainingSet, config: DsnfFamilyConfig, onWarning?: (message: string) => void): TrainData {
  return { segments: recipeSegments(set.normal.clips, config, set.normal.source, onWarning) };
}

async function train(target: DsnfAnomalyModel | DsnfFamilyConfig, data: TrainData, options: TrainOptions<DsnfFamilyConfig> = {}): Promise<TrainResult<DsnfAnomalyModel>> {
  const config: DsnfFamilyConfig = { ...RECIPE, ...(target instanceof DsnfAnomalyModel ? {} : target), ...options.config };
  return trainFamilyModel(target instanceof DsnfAnomalyModel ? target : null, () => new DsnfAnomalyModel(build(config)), data.segments, config.batchSize, 'dsnfFamily.train', ({ model, batches }) => {
    const onBatch = epochBatchProgress(options.onProgress, batches, config.epochs * batches);
    return trainDsnf(model.net, data.segments, data.labels, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      lr: config.lr,
      seed: config.seed,
      loss: config.loss,
      alpha: config.alpha,
      rhoE: config.rhoE,
      rhoH: config.rhoH,
      adaptive: config.weights === 'adaptive',
      directions: config.directions,
      ...(config.engine ? { engine: config.engine } : {}),
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      ...(options.onCheckpoint ? { onCheckpoint: (state) => options.onCheckpoint!(model, state) } : {}),
      ...(onBatch ? { onBatch } : {}),
    });
  });
}

/**
 * DSNF as a {@link ModelFamily}: STG-NF's recipe and flow with the dual-space conditioner, trained
 * with AWAM by default; every size and every ablation is a flag (`--gate zero`, `--loss nll|mass`,
 * `--weights constant`, `--rho-e 1 --rho-h 1`).
 *
 * References: Leng et al., "Dual-Space Normalizing Flow for Unsupervised Video Anomaly Detection", IEEE TIP 34 (2025).
 *
 * @example
 * ```ts
 * registry.register(dsnfFamily);
 * ```
 */
export const dsnfFamily: ModelFamily<DsnfAnomalyModel, DsnfFamilyConfig> = {
  kind: DSNF_KIND,
  resumable: true,
  summary: 'DSNF (Leng et al., TIP 2025): STG-NF with a Euclidean ‖ hyperbolic GCN conditioner and the AWAM loss; score = −NLL bits/dim',
  ...poseSegmentFamily(RECIPE, FLAGS),
  create: (config) => new DsnfAnomalyModel(build(config)),
  trainingData,
  train,
  load: async (location) => new DsnfAnomalyModel(await nodeHook<typeof loadDsnf>('dsnf:load', NODE_ENTRY)(location)),
};
