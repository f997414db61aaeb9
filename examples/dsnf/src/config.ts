import type { DualSpaceGate } from '@skelflow/graph';
import { resolveStgNfConfig, type StgNfConfig } from '@skelflow/stg-nf';

/** Training objective of DSNF: plain NLL, Chali et al.'s approximate mass (input space), or AWAM (dual space). */
export type DsnfLoss = 'nll' | 'mass' | 'awam';

/** The flow fields DSNF shares with STG-NF (their meaning and defaults are STG-NF's). */
type StgNfFlowFields = Pick<StgNfConfig, 'segLen' | 'joints' | 'channels' | 'K' | 'R' | 'temporalKernel' | 'seed'>;

/** Options of a DSNF model; every field has a default (STG-NF's flow, the model card's DSNF parts). */
export interface DsnfConfig extends StgNfFlowFields {
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
}

/** A config with every default filled in. */
export type ResolvedDsnfConfig = Required<DsnfConfig>;

/** Fills the defaults: STG-NF's flow (T = 24, K = 8, R = 3), D_h = 8, one HGCN layer, c = 1 learnable, learnable gate. */
export function resolveDsnfConfig(config: DsnfConfig = {}): ResolvedDsnfConfig {
  // The flow's defaults come from STG-NF's own resolver, so the two models cannot drift apart.
  const { segLen, joints, channels, K, R, temporalKernel, seed } = resolveStgNfConfig({
    segLen: config.segLen, joints: config.joints, channels: config.channels, K: config.K, R: config.R, temporalKernel: config.temporalKernel, seed: config.seed,
  });
  return {
    segLen,
    joints,
    channels,
    K,
    R,
    temporalKernel,
    gate: config.gate ?? 'learnable',
    hyperbolicDim: config.hyperbolicDim ?? 8,
    hgcnLayers: config.hgcnLayers ?? 1,
    curvature: config.curvature ?? 1,
    learnCurvature: config.learnCurvature ?? true,
    gateScale: config.gateScale ?? 1,
    seed,
  };
}
