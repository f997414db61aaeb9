import { InputError } from '@skelflow/base';

/** Which segment score a model reports (the card's ablation): semantic, detail, or their z-scored sum. */
export type MsgFlowScore = 'fused' | 'sem' | 'det';

/** Sizes of an MSG-Flow model; every field has the model card's small-scale value (§2.2, §2.6). */
export interface MsgFlowConfig {
  /** Frames per segment T (24; must divide by 2^downT). */
  segLen?: number;
  /** Joints V (18, OpenPose order). */
  joints?: number;
  // Tokenizer [A]
  /** Convolution width W of the VQ-VAE. */
  vqWidth?: number;
  /** Code dimension D of the VQ-VAE. */
  codeDim?: number;
  /** Codebook size K. */
  codebook?: number;
  /** Temporal downsampling levels: 1 → 12 tokens per 24 frames. */
  downT?: number;
  /** Residual blocks per level. */
  vqDepth?: number;
  /** EMA decay μ. */
  mu?: number;
  /** Commitment weight β_c. */
  commitment?: number;
  /** Velocity-loss weight λ_v. */
  velocity?: number;
  // Prior [B]
  /** Transformer width d. */
  dModel?: number;
  /** Attention heads. */
  heads?: number;
  /** Transformer blocks. */
  layers?: number;
  /** Dropout of the Transformer. */
  dropout?: number;
  /** Which prior state conditions a token's frames: the one predicting it (card) or the one after reading it. */
  hidden?: 'predicting' | 'after';
  // Flow [C]
  /** Flow steps (STG-NF's K). */
  flowSteps?: number;
  /** Prior radius R of the flow (normal ~ N(R·1, I)). */
  R?: number;
  /** Context channels C_c: principal components of the prior's hidden states fed to every coupling. */
  contextChannels?: number;
  // Score
  /** Weight λ of the detail term in the fused score. */
  lambda?: number;
  /** The score `scoreSegments` returns. */
  score?: MsgFlowScore;
  /** Seed of every initialisation. */
  seed?: number;
}

/** A config with every default filled in. */
export type ResolvedMsgFlowConfig = Required<MsgFlowConfig>;

/** Fills in the card's small-scale defaults and checks them. */
export function resolveMsgFlowConfig(c: MsgFlowConfig = {}): ResolvedMsgFlowConfig {
  const r: ResolvedMsgFlowConfig = {
    segLen: c.segLen ?? 24,
    joints: c.joints ?? 18,
    vqWidth: c.vqWidth ?? 64,
    codeDim: c.codeDim ?? 32,
    codebook: c.codebook ?? 64,
    downT: c.downT ?? 1,
    vqDepth: c.vqDepth ?? 3,
    mu: c.mu ?? 0.99,
    commitment: c.commitment ?? 0.02,
    velocity: c.velocity ?? 0.1,
    dModel: c.dModel ?? 64,
    heads: c.heads ?? 4,
    layers: c.layers ?? 2,
    dropout: c.dropout ?? 0.1,
    hidden: c.hidden ?? 'predicting',
    flowSteps: c.flowSteps ?? 8,
    R: c.R ?? 3,
    contextChannels: c.contextChannels ?? 4,
    lambda: c.lambda ?? 1,
    score: c.score ?? 'fused',
    seed: c.seed ?? 999,
  };
  const src = 'MSG-Flow config';
  for (const key of ['segLen', 'joints', 'vqWidth', 'codeDim', 'codebook', 'vqDepth', 'dModel', 'heads', 'layers', 'flowSteps', 'contextChannels'] as const) {
    if (!(Number.isInteger(r[key]) && r[key] > 0)) throw new InputError(`${key} must be a positive integer, got ${r[key]}`, { source: src, location: key });
  }
  if (!(Number.isInteger(r.downT) && r.downT >= 0) || r.segLen % 2 ** r.downT !== 0) {
    throw new InputError(`segLen ${r.segLen} must divide by 2^downT (downT = ${r.downT})`, { source: src, location: 'downT' });
  }
  if (r.dModel % r.heads !== 0) throw new InputError(`dModel ${r.dModel} must divide by heads ${r.heads}`, { source: src, location: 'heads' });
  if (r.contextChannels > r.dModel) throw new InputError(`contextChannels ${r.contextChannels} must be ≤ dModel ${r.dModel}`, { source: src, location: 'contextChannels' });
  if (!['fused', 'sem', 'det'].includes(r.score)) throw new InputError(`score must be fused, sem or det, got '${r.score}'`, { source: src, location: 'score' });
  if (!['predicting', 'after'].includes(r.hidden)) throw new InputError(`hidden must be predicting or after, got '${r.hidden}'`, { source: src, location: 'hidden' });
  if (!(r.dropout >= 0 && r.dropout < 1)) throw new InputError(`dropout must be in [0, 1), got ${r.dropout}`, { source: src, location: 'dropout' });
  return r;
}
