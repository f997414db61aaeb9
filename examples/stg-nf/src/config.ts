/** Permutation between flow steps. STG-NF's released checkpoints use channel reversal. */
export type StgNfPermutation = 'reverse' | 'shuffle' | 'invconv' | 'invconvLU';

/** Options of an STG-NF model; every field has STG-NF's default. */
export interface StgNfConfig {
  /** Frames per segment T (24 ShanghaiTech, 16 UBnormal). */
  segLen?: number;
  /** Joints V (18: COCO-17 plus the neck, OpenPose order). */
  joints?: number;
  /** Input channels C (2: x, y). */
  channels?: number;
  /** Flow steps K. */
  K?: number;
  /** Prior radius R: normal data ~ N(+R, I), supervised abnormal data ~ N(−R, I). */
  R?: number;
  /** Temporal kernel of the ST-GCN conditioner; default `floor(segLen/2) + 1` as the original. */
  temporalKernel?: number;
  /** Adjacency partition strategy; STG-NF uses 'uniform' (every joint pair within maxHops). */
  adjStrategy?: 'uniform' | 'distance' | 'spatial';
  /** Maximum hop distance of the adjacency; 8 covers the whole OpenPose-18 skeleton. */
  maxHops?: number;
  /** Permutation between steps; 'reverse' as the released checkpoints. */
  permutation?: StgNfPermutation;
  /** Seed of the initialisation. */
  seed?: number;
}

/** A config with every default filled in. */
export type ResolvedStgNfConfig = Required<StgNfConfig>;

/** Fills STG-NF's defaults into `config`. */
export function resolveStgNfConfig(config: StgNfConfig = {}): ResolvedStgNfConfig {
  const segLen = config.segLen ?? 24;
  return {
    segLen,
    joints: config.joints ?? 18,
    channels: config.channels ?? 2,
    K: config.K ?? 8,
    R: config.R ?? 3,
    temporalKernel: config.temporalKernel ?? Math.floor(segLen / 2) + 1,
    adjStrategy: config.adjStrategy ?? 'uniform',
    maxHops: config.maxHops ?? 8,
    permutation: config.permutation ?? 'reverse',
    seed: config.seed ?? 999,
  };
}
