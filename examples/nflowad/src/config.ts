import { InputError } from '@skelflow/base';

/**
 * How segments are normalised inside the model before the autoencoder (the paper states two:
 * model card §4.1). `frame`: per frame, every channel centred on its mean over the joints and the
 * frame divided by the standard deviation of its centred coordinates (§5.1, "across the joints
 * within the frame"; one scale for all channels keeps the pose's aspect ratio). `dataset`: per
 * (channel, joint) mean and standard deviation over the training frames (§3). `none`: the segments
 * as given (the pose pipeline already centres each segment and scales it by its std(y)).
 */
export type NflowadNormalisation = 'frame' | 'dataset' | 'none';

/** Sizes of an NFlowAD model; defaults are the model card's small-scale reproduction (§4.6). */
export interface NflowadConfig {
  /** Frames per segment T (24). */
  segLen?: number;
  /** Joints V (18, OpenPose order). */
  joints?: number;
  /** Values per joint C (2: x, y; 3: x, y, z). */
  channels?: number;
  /** Joint layout name, for reports (`openpose18`). */
  layout?: string;
  /** Transformer width d (card 64–128). */
  dModel?: number;
  /** Attention heads. */
  heads?: number;
  /** Encoder blocks (card 2–3). */
  layers?: number;
  /** Transformer blocks of the decoder before its linear head (0: linear head only). */
  decoderLayers?: number;
  /** MLP width of the Transformer blocks (0: 4·d). */
  feedforward?: number;
  /** Transformer dropout. */
  dropout?: number;
  /** Masked fraction ρ of (frame, joint) entries in stage 1. */
  maskRatio?: number;
  /** Glow steps B (card 4 at small scale). */
  flowSteps?: number;
  /** Hidden width of each coupling MLP (card 128). */
  flowHidden?: number;
  /** Weight α of the standardised reconstruction term. */
  alpha?: number;
  /** Weight β of the standardised log-likelihood term. */
  beta?: number;
  /** Input normalisation inside the model. */
  normalise?: NflowadNormalisation;
  /** Percentile of the normal validation scores that sets each threshold (97). */
  percentile?: number;
  /** τ_frac: fraction of flagged frames from which a clip is anomalous (0.1). */
  clipFraction?: number;
  /** Seed of every initialisation. */
  seed?: number;
}

/** A config with every default filled in. */
export type ResolvedNflowadConfig = Required<NflowadConfig>;

/** Fills in the card's small-scale defaults and checks them. */
export function resolveNflowadConfig(c: NflowadConfig = {}): ResolvedNflowadConfig {
  const r: ResolvedNflowadConfig = {
    segLen: c.segLen ?? 24,
    joints: c.joints ?? 18,
    channels: c.channels ?? 2,
    layout: c.layout ?? 'openpose18',
    dModel: c.dModel ?? 64,
    heads: c.heads ?? 4,
    layers: c.layers ?? 2,
    decoderLayers: c.decoderLayers ?? 0,
    feedforward: c.feedforward ?? 0,
    dropout: c.dropout ?? 0.1,
    maskRatio: c.maskRatio ?? 0.3,
    flowSteps: c.flowSteps ?? 4,
    flowHidden: c.flowHidden ?? 128,
    alpha: c.alpha ?? 0.6,
    beta: c.beta ?? 0.4,
    normalise: c.normalise ?? 'frame',
    percentile: c.percentile ?? 97,
    clipFraction: c.clipFraction ?? 0.1,
    seed: c.seed ?? 999,
  };
  const src = 'NFlowAD config';
  for (const key of ['segLen', 'joints', 'channels', 'dModel', 'heads', 'layers', 'flowSteps', 'flowHidden'] as const) {
    if (!(Number.isInteger(r[key]) && r[key] > 0)) throw new InputError(`${key} must be a positive integer, got ${r[key]}`, { source: src, location: key });
  }
  for (const key of ['decoderLayers', 'feedforward'] as const) {
    if (!(Number.isInteger(r[key]) && r[key] >= 0)) throw new InputError(`${key} must be a non-negative integer, got ${r[key]}`, { source: src, location: key });
  }
  if (r.dModel % r.heads !== 0) throw new InputError(`dModel ${r.dModel} must divide by heads ${r.heads}`, { source: src, location: 'heads' });
  if (r.dModel < 2) throw new InputError(`dModel must be ≥ 2 for the flow's coupling split, got ${r.dModel}`, { source: src, location: 'dModel' });
  if (!(r.dropout >= 0 && r.dropout < 1)) throw new InputError(`dropout must be in [0, 1), got ${r.dropout}`, { source: src, location: 'dropout' });
  if (!(r.maskRatio > 0 && r.maskRatio < 1)) throw new InputError(`maskRatio must be in (0, 1), got ${r.maskRatio}`, { source: src, location: 'maskRatio' });
  for (const key of ['alpha', 'beta'] as const) {
    if (!(Number.isFinite(r[key]) && r[key] >= 0)) throw new InputError(`${key} must be a finite number ≥ 0, got ${r[key]}`, { source: src, location: key });
  }
  if (!['frame', 'dataset', 'none'].includes(r.normalise)) throw new InputError(`normalise must be frame, dataset or none, got '${r.normalise}'`, { source: src, location: 'normalise' });
  if (!(r.percentile > 0 && r.percentile < 100)) throw new InputError(`percentile must be in (0, 100), got ${r.percentile}`, { source: src, location: 'percentile' });
  if (!(r.clipFraction > 0 && r.clipFraction <= 1)) throw new InputError(`clipFraction must be in (0, 1], got ${r.clipFraction}`, { source: src, location: 'clipFraction' });
  return r;
}
