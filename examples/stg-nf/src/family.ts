import { epochBatchProgress, nodeHook, poseSegmentFamily, recipeFlags, recipeSegments, trainFamilyModel, type AnomalyModel, type FlagSpec, type InputSpec, type ModelFamily, type PoseTrainingSet, type Recipe, type SaveOptions, type TrainData, type TrainOptions, type TrainResult } from '@skelflow/model';
import { createStgNf, type ScoreSegmentsOptions, type StgNf } from './model.js';
import { STGNF_KIND } from './files.js';
import type { loadStgNf, saveStgNf } from './persist.js';

const NODE_ENTRY = '@skelflow/stg-nf/node';
import { trainStgNf } from './train.js';

/** STG-NF's config as a model family: the training recipe plus the prior radius R and flow steps K. */
export interface StgNfFamilyConfig extends Recipe {
  /** Prior radius: normal segments ~ N(+R, I), supervised abnormal ones ~ N(−R, I). */
  R: number;
  /** Flow steps. */
  K: number;
  /** Training engine (`auto`: fused when available). */
  engine?: 'auto' | 'fused' | 'tfjs';
}

/** The original's recipe: T = 24, stride 6 with horizontal flips, Adamax 5e-4, batch 256, 8 epochs, R = 3, K = 8. */
const RECIPE: StgNfFamilyConfig = { segLen: 24, trainStride: 6, flipHorizontal: true, epochs: 8, batchSize: 256, lr: 5e-4, seed: 999, R: 3, K: 8 };

const FLAGS: readonly FlagSpec[] = [
  ...recipeFlags(RECIPE, ['seg-len', 'epochs', 'batch', 'lr', 'seed']),
  { name: 'R', type: 'number', default: RECIPE.R, help: 'prior radius (normal ~ N(+R, I)); 10 for UBnormal supervised' },
  { name: 'K', type: 'int', default: RECIPE.K, help: 'flow steps' },
  {
    name: 'abnormal-poses',
    type: 'poses',
    help: "folder of abnormal pose tracks: supervised training, pushed to the prior's N(−R, I) (UBnormal supervised)",
  },
];

/**
 * A trained STG-NF behind the {@link AnomalyModel} contract (what `@skelflow/model`'s
 * `StreamingScorer` and the CLI take). `net` is the model itself (for the STG-NF-specific API);
 * scores are −NLL in bits/dim.
 */
export class StgNfAnomalyModel implements AnomalyModel {
  /** `stg-nf`. */
  readonly kind = STGNF_KIND;
  /** The segments the network takes (`[2, T, 18]` OpenPose-18). */
  readonly input: InputSpec;

  constructor(
    /** The wrapped network. */
    readonly net: StgNf,
  ) {
    const { channels, segLen, joints } = net.config;
    this.input = { layout: 'openpose18', dims: 2, channels, segLen, joints };
  }

  /** −NLL (bits/dim) per segment; higher = more normal. Accepts STG-NF's engine and thread options. */
  scoreSegments(data: Float32Array, options: ScoreSegmentsOptions = {}): Float32Array {
    return this.net.scoreSegments(data, options);
  }

  /**
   * Saves with `saveStgNf`: `config.json` (kind, formatVersion, model config, meta), `model.json`,
   * `weights.bin`. Node, after importing `@skelflow/stg-nf/node`; in a browser use `encodeStgNf`.
   */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    await nodeHook<typeof saveStgNf>('stg-nf:save', NODE_ENTRY)(dir, this.net, options.meta ?? {}, { overwrite: options.overwrite ?? false, ...(options.keep ? { keep: options.keep } : {}) });
  }

  dispose(): void {
    this.net.dispose();
  }
}

function trainingData(set: PoseTrainingSet, config: StgNfFamilyConfig, onWarning?: (message: string) => void): TrainData {
  const normal = recipeSegments(set.normal.clips, config, set.normal.source, onWarning);
  const abnormalFolder = set.folders?.['abnormal-poses'];
  if (!abnormalFolder) return { segments: normal };
  const abnormal = recipeSegments(abnormalFolder.clips, config, abnormalFolder.source, onWarning);
  const segments = new Float32Array(normal.length + abnormal.length);
  segments.set(normal);
  segments.set(abnormal, normal.length);
  const per = 2 * config.segLen * 18;
  const labels = new Int8Array(segments.length / per).fill(1);
  labels.fill(-1, normal.length / per);
  return { segments, labels };
}

async function train(
  target: StgNfAnomalyModel | StgNfFamilyConfig,
  data: TrainData,
  options: TrainOptions<StgNfFamilyConfig> = {},
): Promise<TrainResult<StgNfAnomalyModel>> {
  const config: StgNfFamilyConfig = { ...RECIPE, ...(target instanceof StgNfAnomalyModel ? {} : target), ...options.config };
  const build = (): StgNfAnomalyModel => new StgNfAnomalyModel(createStgNf({ segLen: config.segLen, R: config.R, K: config.K, seed: config.seed }));
  return trainFamilyModel(target instanceof StgNfAnomalyModel ? target : null, build, data.segments, config.batchSize, 'stgNfFamily.train', ({ model, batches }) => {
    const onBatch = epochBatchProgress(options.onProgress, batches, config.epochs * batches);
    return trainStgNf(model.net, data.segments, data.labels, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      lr: config.lr,
      seed: config.seed,
      ...(config.engine ? { engine: config.engine } : {}),
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      ...(options.onCheckpoint ? { onCheckpoint: (state) => options.onCheckpoint!(model, state) } : {}),
      ...(onBatch ? { onBatch } : {}),
    });
  });
}

/**
 * STG-NF as a {@link ModelFamily}: the original's recipe (24-frame segments, stride 6, each
 * segment also horizontally flipped, Adamax 5e-4, batch 256, 8 epochs, R = 3, K = 8), the
 * supervised mode (`abnormal-poses`), and loading from saved folders, legacy folders and the
 * released checkpoint JSONs. `load` (and the models' `save`) reach the disk once
 * `@skelflow/stg-nf/node` is imported; in a browser use `stgNfFromSavedFiles` / `stgNfFromCheckpoint`.
 *
 * References: Hirschorn & Avidan, "Normalizing Flows for Human Pose Anomaly Detection", ICCV 2023.
 *
 * @example
 * ```ts
 * import '@skelflow/stg-nf/node';
 * registry.register(stgNfFamily);
 * const model = await stgNfFamily.load('ShanghaiTech_85_9.json');
 * ```
 */
export const stgNfFamily: ModelFamily<StgNfAnomalyModel, StgNfFamilyConfig> = {
  kind: STGNF_KIND,
  resumable: true,
  summary: 'STG-NF (Hirschorn & Avidan, ICCV 2023): a normalizing flow with ST-GCN couplings; score = −NLL bits/dim',
  ...poseSegmentFamily(RECIPE, FLAGS),
  create: (config) => new StgNfAnomalyModel(createStgNf({ segLen: config.segLen, R: config.R, K: config.K, seed: config.seed })),
  trainingData,
  train,
  load: async (location) => new StgNfAnomalyModel(await nodeHook<typeof loadStgNf>('stg-nf:load', NODE_ENTRY)(location)),
};
