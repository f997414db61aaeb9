import type { DualSpaceGate } from '@skelflow/graph';

/** Training objective of DSNF: plain NLL, Chali et al.'s approximate mass (input space), or AWAM (dual space). */
export type DsnfLoss = 'nll' | 'mass' | 'awam';

/** Options of a DSNF model; every field has a default (STG-NF's flow, the model card's DSNF parts). */
export interface DsnfConfig {
  /** Frames per segment T. */
  segLen?: number;
  /** Joints V (OpenPose-18). */
  joints?: number;
  /** Channels C (x, y). */
  channels?: number;
  /** Flow steps K. */
  K?: number;
  /** Prior radius R. */
  R?: number;
  /** Temporal kernel of the Euclidean ST-GCN; default `floor(T/2) + 1`. */
  temporalKernel?: number;
  /** Gate of the dual-space conditioner: `learnable` (g = 0 at init) or `zero` (g ≡ 0: STG-NF). */
  gate?: DualSpaceGate;
  /** Hyperbolic feature size D_h. */
  hyperbolicDim?: number;
  /** HGCN layers per conditioner. */
  hgcnLayers?: number;
  /** Initial curvature c. */
  curvature?: number;
  /** Learn the curvature (softplus). */
  learnCurvature?: boolean;
  /** Gate learning-rate multiplier s (g = s·γ); default 1. */
  gateScale?: number;
  /** Seed of the initialisation. */
  seed?: number;
}

/** A config with every default filled in. */
export type ResolvedDsnfConfig = Required<DsnfConfig>;

/** Fills the defaults: STG-NF's flow (T = 24, K = 8, R = 3), D_h = 8, one HGCN layer, c = 1 learnable, learnable gate. */
export function resolveDsnfConfig(config: DsnfConfig = {}): ResolvedDsnfConfig {
  const segLen = config.segLen ?? 24;
  return {
    segLen,
    joints: config.joints ?? 18,
    channels: config.channels ?? 2,
    K: config.K ?? 8,
    R: config.R ?? 3,
    temporalKernel: config.temporalKernel ?? Math.floor(segLen / 2) + 1,
    gate: config.gate ?? 'learnable',
    hyperbolicDim: config.hyperbolicDim ?? 8,
    hgcnLayers: config.hgcnLayers ?? 1,
    curvature: config.curvature ?? 1,
    learnCurvature: config.learnCurvature ?? true,
    gateScale: config.gateScale ?? 1,
    seed: config.seed ?? 999,
  };
}
